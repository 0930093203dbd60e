"""How each kind of job runs on its device: one function per family, each returning the
job's :class:`Outcome` instead of acking itself.

The job runner (:mod:`edge_agent.jobs`) owns the journal, the queues and the acks; the
functions here own what a job *does*. Each one calls ``on_start`` exactly when the side effect
begins (the first byte to a printer, the capture of a camera) — the runner journals
``running`` there — and reports from what it knows whether anything may have happened:

- a receipt or A4 print that failed before ``on_start`` → ``failed``; after it → whatever the
  driver says (``PrinterError.side_effect_possible``), ``uncertain`` when it cannot know;
- a capture (snapshot, scan) never has a side effect a citizen sees → ``failed`` at worst.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from edge_agent.drivers import ReceiptPrinter
from edge_agent.errors import AgentError, PrinterError
from edge_agent.jobs.a4_documents import NotPrintable, document_for_copy, document_for_print
from edge_agent.jobs.blob_transfer import Capture, UploadFailed, upload_blobs
from edge_agent.peripherals.registry import A4Peripheral, AvCameraPeripheral, DocCameraPeripheral
from protocols.jobs import (
    AckState,
    CopyParams,
    DocumentParams,
    FailureReason,
    JobKind,
    ReceiptParams,
    ScanParams,
    SnapshotParams,
)

log = logging.getLogger(__name__)

OnStart = Callable[[], Awaitable[None]]
CameraLock = Callable[[str], AbstractAsyncContextManager[Any]]
Camera = AvCameraPeripheral | DocCameraPeripheral


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a job ended, as its final ack will say."""

    state: AckState
    reason: FailureReason | None = None
    message: str = ""
    result: dict[str, Any] = field(default_factory=dict)


class _Started:
    """``on_start`` that remembers whether it was called (an unexpected error after it is
    ``uncertain``, before it ``failed``)."""

    def __init__(self, on_start: OnStart) -> None:
        self._on_start = on_start
        self.called = False

    async def __call__(self) -> None:
        await self._on_start()
        self.called = True


def _printer_failure(err: Exception, started: _Started) -> Outcome:
    if isinstance(err, PrinterError):
        state = AckState.UNCERTAIN if err.side_effect_possible else AckState.FAILED
        return Outcome(state, err.reason, str(err))
    log.error("driver error", exc_info=err)
    state = AckState.UNCERTAIN if started.called else AckState.FAILED
    return Outcome(state, FailureReason.INTERNAL, f"driver error: {err!r}")


async def run_receipt(printer: ReceiptPrinter, params: ReceiptParams, on_start: OnStart) -> Outcome:
    """``print_receipt`` on an ESC/POS printer."""
    started = _Started(on_start)
    try:
        report = await printer.print_receipt(params, started)
    except Exception as err:  # a driver bug must become an ack, never a dead worker
        return _printer_failure(err, started)
    return Outcome(AckState.SUCCEEDED, result=report.as_result())


async def run_a4(
    device: A4Peripheral,
    params: DocumentParams | CopyParams,
    on_start: OnStart,
    *,
    terminal: str,
    camera_lock: CameraLock,
) -> Outcome:
    """``print_document`` / ``copy``: make the document ready (download, or scan and mark),
    then print it on A4 and follow it to its end on the printer."""
    try:
        if isinstance(params, CopyParams):
            scanner = device.scanner
            async with camera_lock(scanner.id if scanner else ""):
                ready = await document_for_copy(params, scanner, terminal=terminal)
        else:
            ready = await document_for_print(params)
    except NotPrintable as err:
        return Outcome(AckState.FAILED, err.reason, str(err))
    started = _Started(on_start)
    try:
        report = await device.printer.print_pdf(ready.doc, started)
    except Exception as err:  # a driver bug must become an ack, never a dead worker
        return _printer_failure(err, started)
    return Outcome(AckState.SUCCEEDED, result={**ready.details, **report.as_result()})


async def run_capture(
    device: Camera, kind: JobKind, params: SnapshotParams | ScanParams, on_start: OnStart
) -> Outcome:
    """``snapshot`` / ``scan``: capture, upload every blob with the job's grant."""
    if params.uploads is None:
        return Outcome(
            AckState.FAILED,
            FailureReason.BAD_PARAMS,
            "params.uploads is missing: the cloud says where to upload the result",
        )
    try:
        await on_start()
    except PrinterError as err:  # the job could not be journaled: nothing was captured
        return Outcome(AckState.FAILED, err.reason, str(err))
    try:
        captures, details = await _capture(device, kind, params)
    except AgentError as err:
        return Outcome(AckState.FAILED, FailureReason.CAMERA_ERROR, str(err))
    try:
        blobs = await upload_blobs(params.uploads, captures)
    except UploadFailed as err:
        return Outcome(AckState.FAILED, FailureReason.UPLOAD_FAILED, str(err))
    return Outcome(AckState.SUCCEEDED, result={"blobs": blobs, **details})


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


def camera_locks() -> CameraLock:
    """One capture at a time per camera (a copy borrows the document camera of a scan)."""
    locks: dict[str, asyncio.Lock] = {}

    def lock(camera_id: str) -> asyncio.Lock:
        return locks.setdefault(camera_id, asyncio.Lock())

    return lock
