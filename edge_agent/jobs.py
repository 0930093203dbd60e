"""Job execution: ``job.run`` / ``job.cancel`` commands → printer → acks, at most once per job.

Delivery from the cloud is at-least-once, so the same ``job.run`` may arrive twice. The
journal decides: a job id seen before gets its latest ack again (with ``corr`` = the new
command's id) instead of a second run. A *higher* ``attempt`` of a job that ended without a
side effect we know of (failed, canceled) or that an operator released from ``uncertain``
is a deliberate retry and runs again.

Acks per job: ``accepted`` (journaled) → ``running`` (journaled right before the first byte
goes to the printer) → ``succeeded`` | ``failed`` (nothing printed) | ``uncertain`` (something
may have printed). ``rejected`` means the job was never accepted (bad params, no peripheral).
A ``failed`` without a preceding ``running`` therefore always means nothing was printed.

One worker per printer (one job at a time each), fed by a bounded queue.

``snapshot`` and ``scan`` jobs run the same way on a camera / document camera: ``running``,
capture, upload the blobs over HTTP with the job's upload grant (``params.uploads``), then
``succeeded`` with ``result.blobs``; a failed upload is ``failed``/``upload_failed`` (nothing a
citizen sees happened, so the cloud may retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from edge_agent.drivers import ReceiptPrinter
from edge_agent.errors import AgentError, PrinterError
from edge_agent.journal import JobRecord, Journal
from edge_agent.peripherals import AvCameraPeripheral, DocCameraPeripheral
from protocols.envelope import Envelope, wall_ms
from protocols.jobs import (
    CAPABILITY_FOR_KIND,
    PARAMS_FOR_KIND,
    UPLOAD_KINDS,
    AckState,
    FailureReason,
    JobKind,
    ReceiptParams,
    ScanParams,
    SnapshotParams,
    Uploads,
)
from protocols.messages import AckBody, JobCancel, JobRun

log = logging.getLogger(__name__)

AckSender = Callable[[AckBody, str | None], Awaitable[None]]  # body, corr
JobDone = Callable[[str], Awaitable[None]]  # peripheral id

#: states after which a higher ``attempt`` of the same job may run again
RERUNNABLE = frozenset({AckState.FAILED, AckState.CANCELED, AckState.UNCERTAIN})
TEXT_LIMIT = 1000
UPLOAD_TIMEOUT_S = 30.0

Camera = AvCameraPeripheral | DocCameraPeripheral
Worker = ReceiptPrinter | Camera
#: one captured blob: (role, content type, bytes)
Capture = tuple[str, str, bytes]


class UploadFailed(Exception):
    """A blob could not be uploaded; the message says why (the cloud's sentence if it gave one)."""


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
    ) -> None:
        self.journal = journal
        self.printers = dict(printers)
        self.devices: dict[str, Worker] = {**self.printers, **(cameras or {})}
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
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s), self._idle:
                await self._idle.wait_for(lambda: self._active == 0)

    # --- commands -------------------------------------------------------------------------

    async def handle(self, env: Envelope[Any]) -> None:
        """A decoded ``cmd`` envelope whose body is a job command."""
        body = env.body
        if isinstance(body, JobRun):
            await self._run(env, body)
        elif isinstance(body, JobCancel):
            await self._cancel(env, body)

    async def reject_undecodable(self, payload: bytes, reason: str, message: str) -> None:
        """A ``cmd`` that failed validation but names a job: tell the cloud it is rejected.

        Without this, a job with an unknown kind or malformed params would wait for its TTL.
        """
        salvaged = _salvage(payload)
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

    async def _run(self, env: Envelope[Any], run: JobRun) -> None:
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
        try:
            params: BaseModel = PARAMS_FOR_KIND[run.kind].model_validate(run.params)
        except ValidationError as err:
            await self._reject(
                run.job_id,
                run.attempt,
                env.id,
                FailureReason.BAD_PARAMS,
                f"params are invalid: {_brief(err)}",
            )
            return
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
            exp=env.exp,
            last_ack=ack,
        )
        if env.expired():
            self.journal.put(rec)
            await self._finish(
                rec,
                AckState.FAILED,
                FailureReason.EXPIRED,
                "the command expired before the job could start",
            )
            return
        self.journal.put(rec)  # journaled before the accepted ack leaves
        await self._send_ack(ack, env.id)
        queue.put_nowait(run.job_id)

    async def _cancel(self, env: Envelope[Any], cancel: JobCancel) -> None:
        rec = self.journal.get(cancel.job_id)
        ack = AckBody(
            job_id=cancel.job_id, state=AckState.CANCELED, reason=FailureReason.CANCELED.value
        )
        if rec is None:
            # cancel overtook its job.run: remember it so the run, if it comes, is not executed
            self.journal.put(JobRecord(cancel.job_id, 1, env.id, "", None, "{}", None, ack))
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
        if isinstance(device, AvCameraPeripheral | DocCameraPeripheral):
            await self._capture_job(device, rec)
        else:
            await self._print(device, rec)

    async def _print(self, printer: ReceiptPrinter, rec: JobRecord) -> None:
        params = ReceiptParams.model_validate_json(rec.params)
        started = False

        async def on_start() -> None:
            nonlocal started
            ack = AckBody(job_id=rec.job_id, state=AckState.RUNNING, attempt=rec.attempt)
            self.journal.update(rec.job_id, ack)  # durable before the first byte is sent
            started = True
            await self._send_ack(ack, rec.cmd_id)

        try:
            report = await printer.print_receipt(params, on_start)
        except PrinterError as err:
            state = AckState.UNCERTAIN if err.side_effect_possible else AckState.FAILED
            await self._finish(rec, state, err.reason, str(err))
        except Exception as err:
            state = AckState.UNCERTAIN if started else AckState.FAILED
            await self._finish(rec, state, FailureReason.INTERNAL, f"driver error: {err!r}")
            raise
        else:
            await self._finish(rec, AckState.SUCCEEDED, None, "", report.as_result())

    async def _capture_job(self, device: Camera, rec: JobRecord) -> None:
        """Capture, upload every blob with the job's grant, then ack ``succeeded``."""
        params = PARAMS_FOR_KIND[JobKind(rec.kind)].model_validate_json(rec.params)
        assert isinstance(params, SnapshotParams | ScanParams)
        if params.uploads is None:
            await self._finish(
                rec,
                AckState.FAILED,
                FailureReason.BAD_PARAMS,
                "params.uploads is missing: the cloud says where to upload the result",
            )
            return
        ack = AckBody(job_id=rec.job_id, state=AckState.RUNNING, attempt=rec.attempt)
        self.journal.update(rec.job_id, ack)
        await self._send_ack(ack, rec.cmd_id)
        try:
            captures, details = await _capture(device, JobKind(rec.kind), params)
        except AgentError as err:
            await self._finish(rec, AckState.FAILED, FailureReason.CAMERA_ERROR, str(err))
            return
        try:
            blobs = await upload_blobs(params.uploads, captures)
        except UploadFailed as err:
            await self._finish(rec, AckState.FAILED, FailureReason.UPLOAD_FAILED, str(err))
            return
        await self._finish(rec, AckState.SUCCEEDED, None, "", {"blobs": blobs, **details})

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


async def _capture(
    device: Camera, kind: JobKind, params: SnapshotParams | ScanParams
) -> tuple[list[Capture], dict[str, Any]]:
    """The blobs of one capture and what the result says about it besides the blobs."""
    if kind is JobKind.SNAPSHOT and isinstance(device, AvCameraPeripheral):
        snap = await device.camera.snapshot()
        details = {k: v for k, v in snap.as_result().items() if k in ("width", "height")}
        return [("jpeg", "image/jpeg", snap.jpeg)], details
    if kind is JobKind.SCAN and isinstance(device, DocCameraPeripheral):
        scan = await device.camera.scan(params.mode if isinstance(params, ScanParams) else None)
        details = {
            "width": scan.width,
            "height": scan.height,
            "page_found": scan.page_found,
            "mode": scan.mode,
        }
        return [("jpeg", "image/jpeg", scan.jpeg), ("pdf", "application/pdf", scan.pdf)], details
    raise AgentError(f"{device.id} cannot run a {kind.value} job")


async def upload_blobs(uploads: Uploads, captures: list[Capture]) -> list[dict[str, Any]]:
    """PUT each blob to ``{base}/{sha256}?grant=...``; the ``result.blobs`` entries."""
    blobs = []
    async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT_S) as client:
        for role, content_type, data in captures:
            digest = hashlib.sha256(data).hexdigest()
            try:
                r = await client.put(
                    f"{uploads.base}/{digest}",
                    params={"grant": uploads.grant},
                    content=data,
                    headers={"content-type": "application/octet-stream"},
                )
            except httpx.HTTPError as err:
                raise UploadFailed(
                    f"upload of the {role} to {uploads.base} failed: {err!r}"
                ) from err
            if r.status_code not in (200, 201):
                raise UploadFailed(
                    f"the cloud refused the {role} upload (HTTP {r.status_code}): {_detail(r)}"
                )
            blobs.append(
                {"sha256": digest, "content_type": content_type, "bytes": len(data), "role": role}
            )
    return blobs


def _detail(r: httpx.Response) -> str:
    try:
        detail = r.json().get("detail")
    except ValueError:
        detail = None
    return str(detail if detail is not None else r.text)[:300]


def _brief(err: ValidationError, limit: int = 3) -> str:
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in err.errors()[:limit]
    ]
    more = err.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _salvage(payload: bytes) -> tuple[str, int, str, str | None] | None:
    """(job_id, attempt, kind, command id) from a ``job.run`` that failed validation."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return None
    body = raw.get("body") if isinstance(raw, dict) else None
    if not isinstance(body, dict) or body.get("op") != "job.run":
        return None
    job_id, attempt, kind = body.get("job_id"), body.get("attempt", 1), body.get("kind")
    if not isinstance(job_id, str) or not 1 <= len(job_id) <= 64:
        return None
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        attempt = 1
    msg_id = raw.get("id")
    corr = msg_id if isinstance(msg_id, str) and 0 < len(msg_id) <= 64 else None
    return job_id, attempt, str(kind), corr
