"""How each kind of job runs on its device: one handler per capability (:data:`HANDLERS`),
each returning the job's :class:`Outcome` instead of acking itself.

The job runner (:mod:`edge_agent.jobs.runner`) owns the journal, the queues and the acks; the
handlers here own what a job *does*. Each one calls ``on_start`` exactly when the side effect
begins (the first byte to a printer, the capture of a camera) — the runner journals
``running`` there — and reports from what it knows whether anything may have happened:

- a receipt or A4 print that failed before ``on_start`` → ``failed``; after it → whatever the
  driver says (``PrinterError.side_effect_possible``), ``uncertain`` when it cannot know;
- a capture (snapshot, scan) never has a side effect a citizen sees → ``failed`` at worst.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pydantic import BaseModel

from edge_agent.drivers.a4_base import A4Printer
from edge_agent.drivers.base import ReceiptPrinter
from edge_agent.errors import AgentError, PrinterError
from edge_agent.jobs.a4_documents import NotPrintable, document_for_copy, document_for_print
from edge_agent.jobs.blob_transfer import Capture, UploadFailed, upload_blobs
from edge_agent.jobs.copy_record import copy_record
from edge_agent.jobs.corner_review import (
    CornerReviewer,
    ReviewableCamera,
    review_details,
    reviewed_scan,
)
from edge_agent.jobs.receipt_proof import receipt_proof
from protocols.jobs import (
    AckState,
    Capability,
    CopyParams,
    DocumentParams,
    FailureReason,
    ReceiptParams,
    ScanParams,
    SnapshotParams,
)

if TYPE_CHECKING:
    from edge_agent.drivers.av_camera import Snapshot
    from edge_agent.drivers.camera_config import ScanMode
    from edge_agent.drivers.doc_camera import ScanResult

log = logging.getLogger(__name__)

OnStart = Callable[[], Awaitable[None]]
CameraLock = Callable[[str], AbstractAsyncContextManager[Any]]


@runtime_checkable
class SnapshotCamera(Protocol):
    @property
    def id(self) -> str: ...

    async def snapshot(self) -> Snapshot: ...


@runtime_checkable
class DocumentCamera(Protocol):
    @property
    def id(self) -> str: ...

    async def scan(self, mode: ScanMode | None = None) -> ScanResult: ...


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a handler may need besides its device and params."""

    #: named in a copy's watermark: the device the copy was made on
    terminal: str
    #: one capture at a time per camera (a copy borrows the document camera of a scan)
    camera_lock: CameraLock
    #: asks the citizen about a page's corners when the detector is unsure (None: no screen)
    reviewer: CornerReviewer | None = None


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


async def run_receipt(
    device: object, params: BaseModel, on_start: OnStart, ctx: JobContext
) -> Outcome:
    """``print_receipt`` on an ESC/POS printer, then its proof (:mod:`.receipt_proof`)."""
    if not isinstance(device, ReceiptPrinter) or not isinstance(params, ReceiptParams):
        return _mismatch(device, params)
    started = _Started(on_start)
    try:
        report = await device.print_receipt(params, started)
    except Exception as err:  # a driver bug must become an ack, never a dead worker
        return _printer_failure(err, started)
    # the paper is out: the proof (a PNG of the bytes sent) can add to the result, never undo it
    proof = await receipt_proof(params.uploads, report.sent, report.paper_dots)
    return Outcome(AckState.SUCCEEDED, result={**report.as_result(), **proof})


async def run_a4(device: object, params: BaseModel, on_start: OnStart, ctx: JobContext) -> Outcome:
    """``print_document`` / ``copy``: make the document ready (download, or scan and mark),
    then print it on A4 and follow it to its end on the printer."""
    if not isinstance(device, A4Printer):
        return _mismatch(device, params)
    try:
        if isinstance(params, CopyParams):
            scanner = device.scanner
            async with ctx.camera_lock(scanner.id if scanner else ""):
                ready = await document_for_copy(
                    params, scanner, terminal=ctx.terminal, reviewer=ctx.reviewer
                )
        elif isinstance(params, DocumentParams):
            ready = await document_for_print(params)
        else:
            return _mismatch(device, params)
    except NotPrintable as err:
        return Outcome(AckState.FAILED, err.reason, str(err))
    started = _Started(on_start)
    try:
        report = await device.print_pdf(ready.doc, started)
    except Exception as err:  # a driver bug must become an ack, never a dead worker
        return _printer_failure(err, started)
    result = {**ready.details, **report.as_result()}
    if isinstance(params, CopyParams):  # the paper is out: the audit's record adds, never undoes
        result |= await copy_record(params.uploads, ready.doc.pdf)
    return Outcome(AckState.SUCCEEDED, result=result)


async def run_capture(
    device: object, params: BaseModel, on_start: OnStart, ctx: JobContext
) -> Outcome:
    """``snapshot`` (one still from a camera) / ``scan`` (one page from a document camera,
    as JPEG and PDF): capture, then upload every blob with the job's grant."""
    if isinstance(params, SnapshotParams) and isinstance(device, SnapshotCamera):
        capture = functools.partial(_snapshot, device)
    elif isinstance(params, ScanParams) and isinstance(device, DocumentCamera):
        capture = functools.partial(_scan, device, params.mode, ctx.reviewer)
    else:
        return _mismatch(device, params)
    async with ctx.camera_lock(device.id):
        return await _capture_and_upload(params, on_start, capture)


async def _snapshot(device: SnapshotCamera) -> tuple[list[Capture], dict[str, Any]]:
    snap = await device.snapshot()
    details = {k: v for k, v in snap.as_result().items() if k in ("width", "height")}
    return [("jpeg", "image/jpeg", snap.jpeg)], details


async def _scan(
    device: DocumentCamera, mode: ScanMode | None, reviewer: CornerReviewer | None
) -> tuple[list[Capture], dict[str, Any]]:
    if isinstance(device, ReviewableCamera):
        scan = await reviewed_scan(device, mode, reviewer)
    else:
        scan = await device.scan(mode)
    details = {
        "width": scan.width,
        "height": scan.height,
        "page_found": scan.page_found,
        "mode": scan.mode,
        "confidence": round(scan.confidence, 3),
        "corners": [[round(x, 2), round(y, 2)] for x, y in scan.corners],
        **review_details(scan),
    }
    return [("jpeg", "image/jpeg", scan.jpeg), ("pdf", "application/pdf", scan.pdf)], details


async def _capture_and_upload(
    params: SnapshotParams | ScanParams,
    on_start: OnStart,
    capture: Callable[[], Awaitable[tuple[list[Capture], dict[str, Any]]]],
) -> Outcome:
    """Capture, upload every blob with the job's grant (a capture has no side effect a
    citizen sees: ``failed`` at worst)."""
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
        captures, details = await capture()
    except AgentError as err:
        return Outcome(AckState.FAILED, FailureReason.CAMERA_ERROR, str(err))
    try:
        blobs = await upload_blobs(params.uploads, captures)
    except UploadFailed as err:
        return Outcome(AckState.FAILED, FailureReason.UPLOAD_FAILED, str(err))
    return Outcome(AckState.SUCCEEDED, result={"blobs": blobs, **details})


def _mismatch(device: object, params: BaseModel) -> Outcome:
    """A peripheral configured with a capability its driver cannot serve."""
    name = getattr(device, "id", "?")
    return Outcome(
        AckState.FAILED,
        FailureReason.INTERNAL,
        f"{name} cannot run a job with {type(params).__name__}: check its capabilities",
    )


Handler = Callable[[object, BaseModel, OnStart, JobContext], Awaitable[Outcome]]

#: capability → what a job needing it does on the device that offers it
HANDLERS: dict[Capability, Handler] = {
    Capability.RECEIPT: run_receipt,
    Capability.SNAPSHOT: run_capture,
    Capability.SCAN: run_capture,
    Capability.A4_PRINT: run_a4,
    Capability.COPY: run_a4,
}


def camera_locks() -> CameraLock:
    """One capture at a time per camera (a copy borrows the document camera of a scan)."""
    locks: dict[str, asyncio.Lock] = {}

    def lock(camera_id: str) -> asyncio.Lock:
        return locks.setdefault(camera_id, asyncio.Lock())

    return lock
