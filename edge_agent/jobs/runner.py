"""The job runner: ``job.run`` / ``job.cancel`` commands → device → acks, at most once per job.

Delivery from the cloud is at-least-once, so the same ``job.run`` may arrive twice. The
journal decides: a job id seen before gets its latest ack again (with ``corr`` = the new
command's id) instead of a second run. A *higher* ``attempt`` of a job that ended without a
side effect we know of (failed, canceled) or that an operator released from ``uncertain``
is a deliberate retry and runs again.

Acks per job: ``accepted`` (journaled) → ``running`` (journaled right before the first byte
goes to the printer) → ``succeeded`` | ``failed`` (nothing printed) | ``uncertain`` (something
may have printed). ``rejected`` means the job was never accepted (bad params, no peripheral).
A ``failed`` without a preceding ``running`` therefore always means nothing was printed.

One worker per device (receipt printer, A4 printer, camera; one job at a time each), fed by
a bounded queue (:mod:`edge_agent.jobs.worker`). What each kind of job does on its device is
in :mod:`edge_agent.jobs.kinds` (a capability → handler table); this module owns the journal
entries, the queues and the acks. Every ack leaves through one :class:`AckSink`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import BaseModel

from edge_agent.drivers.interface import Peripheral
from edge_agent.errors import AgentError
from edge_agent.jobs.acks import AckSink
from edge_agent.jobs.corner_review import CornerReviewer
from edge_agent.jobs.journal import JobRecord, Journal, JournalError
from edge_agent.jobs.kinds import HANDLERS, Outcome
from edge_agent.jobs.movable import start_when_confirmed, too_late
from edge_agent.jobs.printable import printable
from edge_agent.jobs.salvage import SalvagedJob
from edge_agent.jobs.worker import Workers
from protocols.envelope import Envelope
from protocols.jobs import (
    CAPABILITY_FOR_KIND,
    CAPTURE_KINDS,
    AckState,
    FailureReason,
    JobKind,
)
from protocols.messages import AckBody, JobCancel, JobRunBase

log = logging.getLogger(__name__)

JobDone = Callable[[str], Awaitable[None]]  # peripheral id

#: states after which a higher ``attempt`` of the same job may run again
RERUNNABLE = frozenset({AckState.FAILED, AckState.CANCELED, AckState.UNCERTAIN})
TEXT_LIMIT = 1000


class Rejected(AgentError):
    """A job command this device will not take (internal to the runner: becomes an ack)."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class JobRunner:
    """Turns job commands into device work and acks."""

    def __init__(
        self,
        journal: Journal,
        peripherals: Mapping[str, Peripheral],
        acks: AckSink,
        *,
        queue_size: int = 64,
        on_job_done: JobDone | None = None,
        counters: Counter[str] | None = None,
        terminal: str = "",
        reviewer: CornerReviewer | None = None,
    ) -> None:
        self.journal = journal
        self.acks = acks
        self.counters: Counter[str] = counters if counters is not None else Counter()
        #: the peripherals that run jobs: those offering a capability some job needs
        self.devices = {
            pid: p for pid, p in peripherals.items() if set(p.capabilities) & set(HANDLERS)
        }
        self.workers = Workers(
            self.devices,
            journal,
            acks,
            self._settle,
            queue_size=queue_size,
            terminal=terminal,
            on_job_done=on_job_done,
            reviewer=reviewer,
        )
        self._confirming: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------------

    async def recover(self) -> None:
        """Settle what a previous run left: running → uncertain; accepted → queued again."""
        for rec in self.journal.in_state(AckState.RUNNING):
            if rec.kind in CAPTURE_KINDS:  # a capture has no side effect: run it again
                await self._finish(
                    rec,
                    AckState.FAILED,
                    FailureReason.AGENT_RESTARTED,
                    "the agent restarted while capturing; nothing was uploaded as a result",
                )
                continue
            log.warning("job %s was running when the agent stopped: uncertain", rec.job_id)
            await self._finish(
                rec,
                AckState.UNCERTAIN,
                FailureReason.AGENT_RESTARTED,
                "the agent restarted while this job was running; it may have printed",
            )
        for rec in self.journal.in_state(AckState.ACCEPTED):
            await self._requeue(rec)

    async def _requeue(self, rec: JobRecord) -> None:
        if rec.confirm_by is not None:  # never confirmed: the cloud may have moved it
            await self._finish(
                rec,
                AckState.FAILED,
                FailureReason.CONNECTION_LOST,
                "the agent restarted before the cloud was sure to know this device took "
                "the job; it was not run here, so the cloud may run it elsewhere",
            )
        elif not self.workers.offer(rec.peripheral or "", rec.job_id):
            await self._finish(
                rec,
                AckState.FAILED,
                FailureReason.NO_PERIPHERAL,
                f"peripheral {rec.peripheral!r} is no longer available to this agent",
            )

    async def run_workers(self) -> None:
        """One worker per device that runs jobs; runs until cancelled."""
        await self.workers.run()

    async def quiesce(self, grace_s: float) -> None:
        """Start no new job; wait (at most ``grace_s``) for the running ones to finish.

        Jobs still queued stay ``accepted`` in the journal and run after the next start.
        """
        for task in self._confirming:  # unconfirmed jobs are settled by the next recover()
            task.cancel()
        await self.workers.quiesce(grace_s)

    # --- commands -------------------------------------------------------------------------

    async def handle(self, env: Envelope[Any]) -> None:
        """A decoded ``cmd`` envelope whose body is a job command."""
        body = env.body
        if isinstance(body, JobRunBase):
            await self._run(env, body)
        elif isinstance(body, JobCancel):
            await self._cancel(env, body)

    async def reject_salvaged(self, job: SalvagedJob, message: str) -> None:
        """A ``cmd`` that failed validation but names a job: tell the cloud it is rejected.

        Without this, a job with an unknown kind or malformed params would wait for its TTL.
        """
        if self.journal.get(job.job_id) is not None:
            return  # a known job: a garbled duplicate must not overwrite its real outcome
        known_kind = job.kind in {k.value for k in JobKind}
        await self._reject(
            job.job_id,
            job.attempt,
            job.cmd_id,
            FailureReason.BAD_PARAMS if known_kind else FailureReason.UNKNOWN_KIND,
            message if known_kind else f"job kind {job.kind!r} is not supported by this agent",
        )

    async def _run(self, env: Envelope[Any], run: JobRunBase) -> None:
        known = self.journal.get(run.job_id)
        if known is not None and not (run.attempt > known.attempt and known.state in RERUNNABLE):
            self.counters["jobs_duplicate"] += 1
            log.info(
                "job %s again (attempt %d): re-sending its %s ack",
                run.job_id,
                run.attempt,
                known.state.value,
            )
            await self.acks.send(known.last_ack, env.id)
            return
        expired = env.expired()
        try:
            device, params = self._admit(run, expired=expired)
            rec = self._record(env, run, device, params, expired=expired)
        except Rejected as err:
            await self._reject(run.job_id, run.attempt, env.id, err.reason, str(err))
            return
        if expired:
            await self._finish(rec, AckState.FAILED, *too_late(run))
            return
        await self._accept(rec, params)

    def _admit(self, run: JobRunBase, *, expired: bool) -> tuple[Peripheral, BaseModel]:
        """The device that runs ``run`` and its params, cleaned of control characters; or
        :class:`Rejected` saying why the job cannot run here."""
        capability = CAPABILITY_FOR_KIND.get(run.kind)
        if capability is None:
            raise Rejected(
                FailureReason.UNKNOWN_KIND, f"job kind {run.kind.value!r} has no driver here"
            )
        params, stripped = printable(run.params)  # typed: validated with the command
        if stripped:
            self.counters["text_controls_stripped"] += stripped
            log.warning("job %s: %d control character(s) removed", run.job_id, stripped)
        device = self._pick(capability, run.peripheral)
        if device is None:
            wanted = (
                f"peripheral {run.peripheral!r} with" if run.peripheral else "a peripheral with"
            )
            raise Rejected(
                FailureReason.NO_PERIPHERAL,
                f"this device has no {wanted} capability {capability!r}",
            )
        if self.workers.full(device.id) and not expired:
            raise Rejected(
                FailureReason.INTERNAL, f"the job queue of {device.id} is full; try later"
            )
        return device, params

    def _record(
        self,
        env: Envelope[Any],
        run: JobRunBase,
        device: Peripheral,
        params: BaseModel,
        *,
        expired: bool,
    ) -> JobRecord:
        """Journal the job before its ``accepted`` ack leaves (an expired one need not
        survive a restart: it is failed at once)."""
        ack = AckBody(job_id=run.job_id, state=AckState.ACCEPTED, attempt=run.attempt)
        rec = JobRecord(
            job_id=run.job_id,
            attempt=run.attempt,
            cmd_id=env.id,
            kind=run.kind.value,
            peripheral=device.id,
            params=params.model_dump_json(),
            exp=run.run_by if run.run_by is not None else env.exp,
            last_ack=ack,
            confirm_by=env.exp if run.movable else None,
        )
        if expired:
            self.journal.put(rec, must_persist=False)
            return rec
        try:
            self.journal.put(rec)
        except JournalError as err:
            raise Rejected(FailureReason.AGENT_STORAGE, str(err)) from err
        return rec

    async def _accept(self, rec: JobRecord, params: BaseModel) -> None:
        """Send ``accepted``; queue the job now, or (movable) once the broker took the ack."""
        self.workers.remember(rec.job_id, params)
        if rec.confirm_by is None:
            await self.acks.send(rec.last_ack, rec.cmd_id)
            self.workers.offer(rec.peripheral or "", rec.job_id)
            return
        delivered = await self.acks.send_tracked(rec.last_ack, rec.cmd_id)
        task = asyncio.create_task(
            start_when_confirmed(rec, delivered, self.workers, self.journal, self._unconfirmed),
            name=f"confirm-{rec.job_id}",
        )
        self._confirming.add(task)
        task.add_done_callback(self._confirming.discard)

    async def _unconfirmed(self, rec: JobRecord) -> None:
        self.counters["jobs_unconfirmed"] += 1
        self.workers.forget(rec.job_id)
        await self._finish(
            rec,
            AckState.FAILED,
            FailureReason.CONNECTION_LOST,
            "the cloud could not be told in time that this device took the job (no "
            "connection before its delivery deadline); it was not run here, so the cloud "
            "may run it elsewhere",
        )

    async def _cancel(self, env: Envelope[Any], cancel: JobCancel) -> None:
        rec = self.journal.get(cancel.job_id)
        ack = AckBody(
            job_id=cancel.job_id, state=AckState.CANCELED, reason=FailureReason.CANCELED.value
        )
        if rec is None:
            # cancel overtook its job.run: remember it so the run, if it comes, is not executed
            self.journal.put(
                JobRecord(cancel.job_id, 1, env.id, "", None, "{}", None, ack),
                must_persist=False,
            )
            await self.acks.send(ack, env.id)
        elif rec.state is AckState.ACCEPTED:
            ack = ack.model_copy(update={"attempt": rec.attempt})
            self.journal.update(rec.job_id, ack)
            self.counters["jobs_canceled"] += 1
            await self.acks.send(ack, env.id)
        else:  # running or finished: too late to cancel; say where it is
            await self.acks.send(rec.last_ack, env.id)

    # --- acks -----------------------------------------------------------------------------

    async def _settle(self, rec: JobRecord, outcome: Outcome) -> None:
        await self._finish(rec, outcome.state, outcome.reason, outcome.message, outcome.result)

    async def _finish(
        self,
        rec: JobRecord,
        state: AckState,
        reason: FailureReason | None,
        message: str,
        result: dict[str, Any] | None = None,
    ) -> None:
        current = self.journal.get(rec.job_id)
        if current is not None and current.state is AckState.CANCELED:
            # canceled (and answered so) before its side effect began: the answer stands
            log.info("job %s: canceled before it started (%s)", rec.job_id, message)
            return
        ack = AckBody(
            job_id=rec.job_id,
            state=state,
            attempt=rec.attempt,
            reason=reason.value if reason else "",
            message=message[:TEXT_LIMIT],
            result=result or {},
        )
        # over a durable ``running`` the final state need not wait for the disk: lost in a
        # power cut, the job reads ``running`` and is reported uncertain, never re-run.
        # Over ``accepted`` it must: a lost ``failed`` would leave the job to run again
        ran = current is not None and current.state is AckState.RUNNING
        self.journal.update(rec.job_id, ack, lazy=ran)
        self.counters[f"jobs_{state.value}"] += 1
        log.info("job %s: %s %s", rec.job_id, state.value, message)
        await self.acks.send(ack, rec.cmd_id)

    async def _reject(
        self, job_id: str, attempt: int, corr: str | None, reason: FailureReason, message: str
    ) -> None:
        self.counters["jobs_rejected"] += 1
        log.info("job %s rejected (%s): %s", job_id, reason.value, message)
        ack = AckBody(
            job_id=job_id,
            state=AckState.REJECTED,
            attempt=attempt,
            reason=reason.value,
            message=message[:TEXT_LIMIT],
        )
        await self.acks.send(ack, corr)

    def _pick(self, capability: str, wanted: str | None) -> Peripheral | None:
        for device in self.devices.values():
            if capability in device.capabilities and wanted in (None, device.id):
                return device
        return None
