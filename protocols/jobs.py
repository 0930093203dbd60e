"""Job vocabulary shared by edge and cloud: states, kinds, parameters, failure reasons."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class JobState(StrEnum):
    """Lifecycle of a job; see ``fleet.jobs`` for the legal transitions."""

    QUEUED = "queued"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    UNCERTAIN = "uncertain"


TERMINAL_STATES = frozenset(
    {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED, JobState.EXPIRED}
)


class AckState(StrEnum):
    """What an agent may report about a job in an ``ack`` message."""

    ACCEPTED = "accepted"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    UNCERTAIN = "uncertain"
    REJECTED = "rejected"  # never accepted: unknown kind, bad params, no such peripheral


class JobKind(StrEnum):
    """Kinds of job a device can run, each needing one capability."""

    PRINT_RECEIPT = "print_receipt"
    SNAPSHOT = "snapshot"
    SCAN = "scan"


#: The peripheral capability each job kind needs.
CAPABILITY_FOR_KIND: dict[JobKind, str] = {
    JobKind.PRINT_RECEIPT: "receipt",
    JobKind.SNAPSHOT: "snapshot",
    JobKind.SCAN: "scan",
}
#: Kinds whose result is content the agent uploads as blobs (the cloud adds ``uploads``).
UPLOAD_KINDS = frozenset({JobKind.SNAPSHOT, JobKind.SCAN})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Align = Literal["left", "center", "right"]


class TextLine(_Strict):
    """A line of text; Chinese is sent to the printer as GB18030."""

    type: Literal["text"] = "text"
    text: Annotated[str, Field(max_length=512)]
    align: Align = "left"
    bold: bool = False
    #: character magnification 1..8 (ESC/POS GS !)
    width: Annotated[int, Field(ge=1, le=8)] = 1
    height: Annotated[int, Field(ge=1, le=8)] = 1


class QrLine(_Strict):
    """A QR code, printed natively by the printer (GS ( k)."""

    type: Literal["qr"] = "qr"
    data: Annotated[str, Field(min_length=1, max_length=512)]
    size: Annotated[int, Field(ge=1, le=16)] = 6
    align: Align = "center"


class FeedLine(_Strict):
    """Blank lines."""

    type: Literal["feed"] = "feed"
    lines: Annotated[int, Field(ge=1, le=20)] = 1


ReceiptLine = Annotated[TextLine | QrLine | FeedLine, Field(discriminator="type")]


class ReceiptParams(_Strict):
    """Parameters of a ``print_receipt`` job: a receipt such as a queue ticket."""

    lines: Annotated[list[ReceiptLine], Field(min_length=1, max_length=200)]
    cut: bool = True
    copies: Annotated[int, Field(ge=1, le=5)] = 1


class Uploads(_Strict):
    """Where and with what the agent uploads a job's blobs; filled in by the cloud on each
    send, never by the client: ``PUT {base}/{sha256}?grant={grant}`` (see protocol §11)."""

    #: the blob collection URL, e.g. ``http://cloud:8000/api/v1/blobs``
    base: Annotated[str, Field(min_length=1, max_length=512)]
    #: ``<job id>.<expiry>.<mac>``: lets this job put blobs until ``expires`` (unix s)
    grant: Annotated[str, Field(min_length=1, max_length=300)]
    expires: int


class SnapshotParams(_Strict):
    """Parameters of a ``snapshot`` job: one still from the camera, uploaded as a JPEG."""

    format: Literal["jpeg"] = "jpeg"
    uploads: Uploads | None = None


class ScanParams(_Strict):
    """Parameters of a ``scan`` job: one page from the document camera, rectified, uploaded as
    a JPEG and a one-page PDF."""

    format: Literal["jpeg+pdf"] = "jpeg+pdf"
    #: ``gray``: one channel; ``document`` (文档模式): grey, lighting evened out, black text
    #: on white paper (smallest files, crispest print)
    mode: Literal["color", "gray", "document"] = "color"
    uploads: Uploads | None = None


#: The parameter model of each job kind.
PARAMS_FOR_KIND: dict[JobKind, type[BaseModel]] = {
    JobKind.PRINT_RECEIPT: ReceiptParams,
    JobKind.SNAPSHOT: SnapshotParams,
    JobKind.SCAN: ScanParams,
}


class FailureReason(StrEnum):
    """Machine-readable reasons attached to failed/uncertain/rejected acks and jobs."""

    UNKNOWN_KIND = "unknown_kind"
    BAD_PARAMS = "bad_params"
    NO_PERIPHERAL = "no_peripheral"
    PRINTER_UNREACHABLE = "printer_unreachable"
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    PRINTER_ERROR = "printer_error"
    PRINTER_SILENT = "printer_silent"
    CONNECTION_LOST = "connection_lost"
    EXPIRED = "expired"
    CANCELED = "canceled"
    AGENT_RESTARTED = "agent_restarted"
    INTERNAL = "internal"
    OFFLINE = "offline"
    RETRIES_EXHAUSTED = "retries_exhausted"
    CAMERA_ERROR = "camera_error"
    UPLOAD_FAILED = "upload_failed"
    UPLOAD_MISSING = "upload_missing"
