"""The job workers: one per device that runs jobs, one job at a time each, fed by a bounded
queue of job ids. A worker marks a job ``running`` (durably) right before its side effect
starts, runs the handler of the job's capability (:data:`edge_agent.jobs.kinds.HANDLERS`)
and reports the outcome through the runner's ``finish``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from pydantic import BaseModel

from edge_agent.drivers.interface import Peripheral
from edge_agent.errors import PrinterError
from edge_agent.jobs.acks import AckSink
from edge_agent.jobs.corner_review import CornerReviewer
from edge_agent.jobs.journal import JobRecord, Journal, JournalError
from edge_agent.jobs.kinds import HANDLERS, JobContext, Outcome, camera_locks
from edge_agent.jobs.params import ParamsInvalid, stored_params
from protocols.envelope import wall_ms
from protocols.jobs import CAPABILITY_FOR_KIND, AckState, FailureReason, JobKind
from protocols.messages import AckBody

log = logging.getLogger(__name__)


#: records and acks how a job ended (the runner's)
Settle = Callable[[JobRecord, Outcome], Awaitable[None]]


class Workers:
    """The devices' queues and the tasks that empty them."""

    def __init__(
        self,
        devices: Mapping[str, Peripheral],
        journal: Journal,
        acks: AckSink,
        settle: Settle,
        *,
        queue_size: int,
        terminal: str,
        on_job_done: Callable[[str], Awaitable[None]] | None = None,
        reviewer: CornerReviewer | None = None,
    ) -> None:
        self.devices = devices
        self.journal = journal
        self.acks = acks
        self._settle = settle
        self.on_job_done = on_job_done
        self._queues: dict[str, asyncio.Queue[str]] = {
            pid: asyncio.Queue(queue_size) for pid in devices
        }
        #: params of jobs accepted in this run (a recovered job reads them from the journal)
        self._params: dict[str, BaseModel] = {}
        self._ctx = JobContext(terminal=terminal, camera_lock=camera_locks(), reviewer=reviewer)
        self._closing = False
        self._active = 0
        self._idle = asyncio.Condition()

    def remember(self, job_id: str, params: BaseModel) -> None:
        self._params[job_id] = params

    def forget(self, job_id: str) -> None:
        """A remembered job that will not be queued after all."""
        self._params.pop(job_id, None)

    def full(self, device: str) -> bool:
        return self._queues[device].full()

    def offer(self, device: str, job_id: str) -> bool:
        """Queue a job for ``device``'s worker; False if there is no such device or no room."""
        queue = self._queues.get(device)
        if queue is None or queue.full():
            return False
        queue.put_nowait(job_id)
        return True

    async def put(self, device: str, job_id: str) -> None:
        """Queue a job for ``device``'s worker, waiting for room."""
        await self._queues[device].put(job_id)

    async def run(self) -> None:
        """One worker per device; runs until cancelled."""
        async with asyncio.TaskGroup() as tg:
            for pid, device in self.devices.items():
                tg.create_task(self._worker(device, self._queues[pid]), name=f"jobs-{pid}")

    async def quiesce(self, grace_s: float) -> None:
        """Start no new job; wait (at most ``grace_s``) for the running ones to finish."""
        self._closing = True
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s), self._idle:
                await self._idle.wait_for(lambda: self._active == 0)

    async def _worker(self, device: Peripheral, queue: asyncio.Queue[str]) -> None:
        while True:
            job_id = await queue.get()
            rec = self.journal.get(job_id)
            params = self._params.pop(job_id, None)
            if self._closing or rec is None or rec.state is not AckState.ACCEPTED:
                continue  # stopping, or canceled while waiting
            self._active += 1
            try:
                await self._execute(device, rec, params)
            except Exception:  # never let one job kill the device's worker
                log.exception("job %s: unexpected error", job_id)
            finally:
                self._active -= 1
                async with self._idle:
                    self._idle.notify_all()
            if self.on_job_done is not None:
                await self.on_job_done(device.id)

    async def _execute(self, device: Peripheral, rec: JobRecord, params: BaseModel | None) -> None:
        if rec.exp is not None and wall_ms() > rec.exp:
            why = f"the job expired while waiting for {device.id}"
            await self._settle(rec, Outcome(AckState.FAILED, FailureReason.EXPIRED, why))
            return
        try:
            params = params or stored_params(rec.kind, rec.params)
        except ParamsInvalid as err:
            await self._settle(rec, Outcome(AckState.FAILED, FailureReason.BAD_PARAMS, str(err)))
            return
        handler = HANDLERS[CAPABILITY_FOR_KIND[JobKind(rec.kind)]]
        await self._settle(rec, await handler(device, params, self._on_start(rec), self._ctx))

    def _on_start(self, rec: JobRecord) -> Callable[[], Awaitable[None]]:
        async def on_start() -> None:
            current = self.journal.get(rec.job_id)
            if current is None or current.state is not AckState.ACCEPTED:
                # a job.cancel was answered ``canceled`` while the handler got ready (a
                # printer's status check): that answer stands, so nothing may be printed now
                raise PrinterError(
                    FailureReason.CANCELED,
                    "the job was canceled before it started; nothing was printed",
                    side_effect_possible=False,
                )
            ack = AckBody(job_id=rec.job_id, state=AckState.RUNNING, attempt=rec.attempt)
            try:  # durable before the side effect begins, or no side effect at all
                self.journal.update(rec.job_id, ack, must_persist=True)
            except JournalError as err:
                raise PrinterError(
                    FailureReason.AGENT_STORAGE,
                    f"{err}; the job was not started",
                    side_effect_possible=False,
                ) from err
            await self.acks.send(ack, rec.cmd_id)

        return on_start
