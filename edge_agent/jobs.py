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
a bounded queue. What each kind of job does on its device (print a receipt; download or scan
and mark, then print on A4; capture and upload) is in :mod:`edge_agent.job_kinds`; this module
owns the journal, the queues and the acks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from edge_agent.command_checks import salvage
from edge_agent.drivers import ReceiptPrinter
from edge_agent.errors import PrinterError
from edge_agent.job_kinds import Camera, camera_locks, run_a4, run_capture, run_receipt
from edge_agent.journal import JobRecord, Journal, JournalError
from edge_agent.movable import start_when_confirmed
from edge_agent.peripherals import A4Peripheral, AvCameraPeripheral, DocCameraPeripheral
from protocols.envelope import Envelope, wall_ms
from protocols.jobs import (
    CAPABILITY_FOR_KIND,
    PARAMS_FOR_KIND,
    UPLOAD_KINDS,
    AckState,
    CopyParams,
    DocumentParams,
    FailureReason,
    JobKind,
    ReceiptParams,
    ScanParams,
    SnapshotParams,
)
from protocols.messages import AckBody, JobCancel, JobRunBase

log = logging.getLogger(__name__)

AckSender = Callable[[AckBody, str | None], Awaitable[None]]  # body, corr
#: like AckSender, and returns a future set once the broker took the ack (None: not stored)
TrackedAckSender = Callable[[AckBody, str | None], Awaitable["asyncio.Future[None] | None"]]
JobDone = Callable[[str], Awaitable[None]]  # peripheral id

#: states after which a higher ``attempt`` of the same job may run again
RERUNNABLE = frozenset({AckState.FAILED, AckState.CANCELED, AckState.UNCERTAIN})
TEXT_LIMIT = 1000

Worker = ReceiptPrinter | Camera | A4Peripheral


class JobRunner:
    """Turns job commands into printer work and acks."""

    def __init__(
        self,
        journal: Journal,
        printers: Mapping[str, ReceiptPrinter],
        send_ack: AckSender,
        *,
        queue_size: int = 64,
        on_job_done: JobDone | None = None,
        counters: Counter[str] | None = None,
        cameras: Mapping[str, Camera] | None = None,
        a4_printers: Mapping[str, A4Peripheral] | None = None,
        terminal: str = "",
        send_tracked_ack: TrackedAckSender | None = None,
    ) -> None:
        self.journal = journal
        self.printers = dict(printers)
        self.devices: dict[str, Worker] = {
            **self.printers,
            **(cameras or {}),
            **(a4_printers or {}),
        }
        #: named in a copy's watermark: the device the copy was made on
        self.terminal = terminal
        self._camera_lock = camera_locks()
        #: without it, movable jobs cannot wait for their accepted ack to reach the broker
        self._send_tracked = send_tracked_ack
        self._confirming: set[asyncio.Task[None]] = set()
        self._send_ack = send_ack
        self._on_job_done = on_job_done
        self.counters: Counter[str] = counters if counters is not None else Counter()
        self._queues: dict[str, asyncio.Queue[str]] = {
            pid: asyncio.Queue(queue_size) for pid in self.devices
        }
        self._closing = False
        self._active = 0
        self._idle = asyncio.Condition()

    # --- startup --------------------------------------------------------------------------

    async def recover(self) -> None:
        """Settle what a previous run left: running → uncertain; accepted → queued again."""
        for rec in self.journal.in_state(AckState.RUNNING):
            if rec.kind in UPLOAD_KINDS:  # a capture has no side effect: run it again
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
            queue = self._queues.get(rec.peripheral or "")
            if rec.confirm_by is not None:  # never confirmed: the cloud may have moved it
                await self._finish(
                    rec,
                    AckState.FAILED,
                    FailureReason.CONNECTION_LOST,
                    "the agent restarted before the cloud was sure to know this device took "
                    "the job; it was not run here, so the cloud may run it elsewhere",
                )
                continue
            if queue is None or queue.full():
                await self._finish(
                    rec,
                    AckState.FAILED,
                    FailureReason.NO_PERIPHERAL,
                    f"peripheral {rec.peripheral!r} is no longer available to this agent",
                )
                continue
            queue.put_nowait(rec.job_id)

    async def run_workers(self) -> None:
        """One worker per printer or camera; runs until cancelled."""
        async with asyncio.TaskGroup() as tg:
            for pid, device in self.devices.items():
                tg.create_task(self._worker(device, self._queues[pid]), name=f"jobs-{pid}")

    async def quiesce(self, grace_s: float) -> None:
        """Start no new job; wait (at most ``grace_s``) for the printing ones to finish.

        Jobs still queued stay ``accepted`` in the journal and run after the next start.
        """
        self._closing = True
        for task in self._confirming:  # unconfirmed jobs are settled by the next recover()
            task.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s), self._idle:
                await self._idle.wait_for(lambda: self._active == 0)

    # --- commands -------------------------------------------------------------------------

    async def handle(self, env: Envelope[Any]) -> None:
        """A decoded ``cmd`` envelope whose body is a job command."""
        body = env.body
        if isinstance(body, JobRunBase):
            await self._run(env, body)
        elif isinstance(body, JobCancel):
            await self._cancel(env, body)

    async def reject_undecodable(self, payload: bytes, reason: str, message: str) -> None:
        """A ``cmd`` that failed validation but names a job: tell the cloud it is rejected.

        Without this, a job with an unknown kind or malformed params would wait for its TTL.
        """
        salvaged = salvage(payload)
        if salvaged is None:
            return
        job_id, attempt, kind, corr = salvaged
        if self.journal.get(job_id) is not None:
            return  # a known job: a garbled duplicate must not overwrite its real outcome
        known_kind = kind in {k.value for k in JobKind}
        await self._reject(
            job_id,
            attempt,
            corr,
            FailureReason.BAD_PARAMS if known_kind else FailureReason.UNKNOWN_KIND,
            message if known_kind else f"job kind {kind!r} is not supported by this agent",
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
            await self._send_ack(known.last_ack, env.id)
            return
        capability = CAPABILITY_FOR_KIND.get(run.kind)
        if capability is None:
            await self._reject(
                run.job_id,
                run.attempt,
                env.id,
                FailureReason.UNKNOWN_KIND,
                f"job kind {run.kind.value!r} has no driver here",
            )
            return
        params = run.params  # validated with the command (protocols.messages.JobRun)
        printer = self._pick(capability, run.peripheral)
        if printer is None:
            wanted = (
                f"peripheral {run.peripheral!r} with" if run.peripheral else "a peripheral with"
            )
            await self._reject(
                run.job_id,
                run.attempt,
                env.id,
                FailureReason.NO_PERIPHERAL,
                f"this device has no {wanted} capability {capability!r}",
            )
            return
        queue = self._queues[printer.id]
        if queue.full() and not env.expired():
            await self._reject(
                run.job_id,
                run.attempt,
                env.id,
                FailureReason.INTERNAL,
                f"the job queue of {printer.id} is full; try later",
            )
            return
        ack = AckBody(job_id=run.job_id, state=AckState.ACCEPTED, attempt=run.attempt)
        rec = JobRecord(
            job_id=run.job_id,
            attempt=run.attempt,
            cmd_id=env.id,
            kind=run.kind.value,
            peripheral=printer.id,
            params=params.model_dump_json(),
            exp=run.run_by if run.run_by is not None else env.exp,
            last_ack=ack,
            confirm_by=env.exp if run.movable and self._send_tracked is not None else None,
        )
        if env.expired():
            self.journal.put(rec, must_persist=False)
            await self._finish(
                rec,
                AckState.FAILED,
                FailureReason.EXPIRED,
                "the command expired before the job could start",
            )
            return
        try:
            self.journal.put(rec)  # journaled before the accepted ack leaves
        except JournalError as err:
            await self._reject(
                run.job_id, run.attempt, env.id, FailureReason.AGENT_STORAGE, str(err)
            )
            return
        if rec.confirm_by is not None and self._send_tracked is not None:
            delivered = await self._send_tracked(ack, env.id)
            task = asyncio.create_task(
                start_when_confirmed(rec, delivered, queue, self.journal, self._unconfirmed),
                name=f"confirm-{rec.job_id}",
            )
            self._confirming.add(task)
            task.add_done_callback(self._confirming.discard)
            return
        await self._send_ack(ack, env.id)
        queue.put_nowait(run.job_id)

    async def _unconfirmed(self, rec: JobRecord) -> None:
        self.counters["jobs_unconfirmed"] += 1
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
            await self._send_ack(ack, env.id)
        elif rec.state is AckState.ACCEPTED:
            ack = ack.model_copy(update={"attempt": rec.attempt})
            self.journal.update(rec.job_id, ack)
            self.counters["jobs_canceled"] += 1
            await self._send_ack(ack, env.id)
        else:  # running or finished: too late to cancel; say where it is
            await self._send_ack(rec.last_ack, env.id)

    # --- execution ------------------------------------------------------------------------

    async def _worker(self, printer: Worker, queue: asyncio.Queue[str]) -> None:
        while True:
            job_id = await queue.get()
            rec = self.journal.get(job_id)
            if self._closing or rec is None or rec.state is not AckState.ACCEPTED:
                continue  # stopping, or canceled while waiting
            self._active += 1
            try:
                await self._execute(printer, rec)
            except Exception:  # never let one job kill the printer's worker
                log.exception("job %s: unexpected error", job_id)
            finally:
                self._active -= 1
                async with self._idle:
                    self._idle.notify_all()
            if self._on_job_done is not None:
                await self._on_job_done(printer.id)

    async def _execute(self, device: Worker, rec: JobRecord) -> None:
        if rec.exp is not None and wall_ms() > rec.exp:
            await self._finish(
                rec,
                AckState.FAILED,
                FailureReason.EXPIRED,
                f"the job expired while waiting for {device.id}",
            )
            return

        async def on_start() -> None:
            ack = AckBody(job_id=rec.job_id, state=AckState.RUNNING, attempt=rec.attempt)
            try:  # durable before the side effect begins, or no side effect at all
                self.journal.update(rec.job_id, ack, must_persist=True)
            except JournalError as err:
                raise PrinterError(
                    FailureReason.AGENT_STORAGE,
                    f"{err}; the job was not started",
                    side_effect_possible=False,
                ) from err
            await self._send_ack(ack, rec.cmd_id)

        kind = JobKind(rec.kind)
        params = PARAMS_FOR_KIND[kind].model_validate_json(rec.params)
        if isinstance(device, AvCameraPeripheral | DocCameraPeripheral):
            assert isinstance(params, SnapshotParams | ScanParams)
            async with self._camera_lock(device.id):
                outcome = await run_capture(device, kind, params, on_start)
        elif isinstance(device, A4Peripheral):
            assert isinstance(params, DocumentParams | CopyParams)
            outcome = await run_a4(
                device, params, on_start, terminal=self.terminal, camera_lock=self._camera_lock
            )
        else:
            assert isinstance(params, ReceiptParams)
            outcome = await run_receipt(device, params, on_start)
        await self._finish(rec, outcome.state, outcome.reason, outcome.message, outcome.result)

    async def _finish(
        self,
        rec: JobRecord,
        state: AckState,
        reason: FailureReason | None,
        message: str,
        result: dict[str, Any] | None = None,
    ) -> None:
        ack = AckBody(
            job_id=rec.job_id,
            state=state,
            attempt=rec.attempt,
            reason=reason.value if reason else "",
            message=message[:TEXT_LIMIT],
            result=result or {},
        )
        self.journal.update(rec.job_id, ack)
        self.counters[f"jobs_{state.value}"] += 1
        log.info("job %s: %s %s", rec.job_id, state.value, message)
        await self._send_ack(ack, rec.cmd_id)

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
        await self._send_ack(ack, corr)

    def _pick(self, capability: str, wanted: str | None) -> Worker | None:
        for device in self.devices.values():
            if capability in device.capabilities and wanted in (None, device.id):
                return device
        return None
