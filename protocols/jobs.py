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


#: The peripheral capability each job kind needs.
CAPABILITY_FOR_KIND: dict[JobKind, str] = {JobKind.PRINT_RECEIPT: "receipt"}


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
