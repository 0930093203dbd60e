"""Job vocabulary shared by edge and cloud: states, kinds, parameters, failure reasons."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


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
    PRINT_DOCUMENT = "print_document"
    COPY = "copy"


class Capability(StrEnum):
    """What a peripheral can do, as announced in a birth (protocol §5). Jobs aimed at a site
    name one; a device's peripheral offers several (a camera: snapshot, video, audio)."""

    RECEIPT = "receipt"  # print_receipt on an ESC/POS printer
    A4_PRINT = "a4_print"  # print_document on an A4 printer
    COPY = "copy"  # a device with a document camera and an A4 printer
    SCAN = "scan"  # a document camera (高拍仪)
    SNAPSHOT = "snapshot"  # a still from a camera
    VIDEO = "video"
    AUDIO = "audio"
    IDCARD = "idcard"  # a resident ID-card reader
    CALL_BUTTON = "call_button"
    RATING = "rating"  # a 好差评 rating pad


#: The peripheral capability each job kind needs.
CAPABILITY_FOR_KIND: dict[JobKind, Capability] = {
    JobKind.PRINT_RECEIPT: Capability.RECEIPT,
    JobKind.SNAPSHOT: Capability.SNAPSHOT,
    JobKind.SCAN: Capability.SCAN,
    JobKind.PRINT_DOCUMENT: Capability.A4_PRINT,
    JobKind.COPY: Capability.COPY,
}
#: Kinds whose result IS content the agent uploads as blobs: a success must name stored blobs,
#: and a capture cut short by a restart runs again (no side effect a citizen sees).
CAPTURE_KINDS = frozenset({JobKind.SNAPSHOT, JobKind.SCAN})
#: Kinds that upload blobs under the job's grant (the cloud adds ``uploads``): the captures,
#: ``print_receipt``, whose proof (a PNG of what the paper showed) goes up after the print,
#: and ``copy``, whose printed page (the marked PDF) goes up for the print audit.
UPLOAD_KINDS = CAPTURE_KINDS | {JobKind.PRINT_RECEIPT, JobKind.COPY}
#: Kinds that print a stored blob (the cloud adds ``fetch``, a read URL, on each send).
FETCH_KINDS = frozenset({JobKind.PRINT_DOCUMENT})
#: Kinds whose side effect is paper in a citizen's hand (a restart mid-job is ``uncertain``).
PRINT_KINDS = frozenset({JobKind.PRINT_RECEIPT, JobKind.PRINT_DOCUMENT, JobKind.COPY})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: C0 controls (TAB and LF included), DEL and C1 controls: on a receipt printer these are
#: commands (GS V cuts, ESC p kicks the cash drawer, ESC @ resets), never text.
CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _no_control_chars(value: str) -> str:
    found = CONTROL_CHARS.search(value)
    if found is not None:
        raise ValueError(
            f"control character U+{ord(found.group()):04X} at position {found.start()} is not "
            "allowed in printed text (printers take it as a command); remove it, and put each "
            "line of text in its own text line"
        )
    return value


def _a_number_not_a_word(value: object) -> object:
    if isinstance(value, bool | str):
        raise ValueError(f"must be a JSON number, not {type(value).__name__} {value!r}")
    return value


#: After an integer's ``Field(ge=..., le=...)``: a number as JSON says it, 2 or 2.0, never
#: ``true`` or ``"2"``. (Placed after the bounds, so the JSON schema keeps ``minimum`` and
#: ``maximum``; before them pydantic writes ``ge``/``le``, which JSON Schema does not know.)
NumberOnly = BeforeValidator(_a_number_not_a_word)


#: Text that ends up on paper: no control characters (refused here, stripped by the agent);
#: the JSON schema says so with a pattern (validation keeps the clearer message above).
PrintableText = Annotated[
    str,
    AfterValidator(_no_control_chars),
    Field(json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f]*$"}),
]


def _type_required(schema: dict[str, Any]) -> None:
    """A receipt line's ``type`` picks its model, so a JSON line must carry it (its default
    serves Python callers only): the JSON schema lists it as required."""
    schema["required"] = ["type", *schema.get("required", [])]


class _Line(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_type_required)


Align = Literal["left", "center", "right"]


class TextLine(_Line):
    """A line of text; Chinese is sent to the printer as GB18030."""

    type: Literal["text"] = "text"
    text: Annotated[PrintableText, Field(max_length=512)]
    align: Align = "left"
    bold: bool = False
    #: character magnification 1..8 (ESC/POS GS !)
    width: Annotated[int, Field(ge=1, le=8), NumberOnly] = 1
    height: Annotated[int, Field(ge=1, le=8), NumberOnly] = 1


class QrLine(_Line):
    """A QR code, printed natively by the printer (GS ( k)."""

    type: Literal["qr"] = "qr"
    data: Annotated[PrintableText, Field(min_length=1, max_length=512)]
    size: Annotated[int, Field(ge=1, le=16), NumberOnly] = 6
    align: Align = "center"


class FeedLine(_Line):
    """Blank lines."""

    type: Literal["feed"] = "feed"
    lines: Annotated[int, Field(ge=1, le=20), NumberOnly] = 1


ReceiptLine = Annotated[TextLine | QrLine | FeedLine, Field(discriminator="type")]


class Uploads(_Strict):
    """Where and with what the agent uploads a job's blobs; filled in by the cloud on each
    send, never by the client: ``PUT {base}/{sha256}?grant={grant}`` (see protocol §11)."""

    #: the blob collection URL, e.g. ``http://cloud:8000/api/v1/blobs``
    base: Annotated[str, Field(min_length=1, max_length=512)]
    #: ``<job id>.<expiry>.<mac>``: lets this job put blobs until ``expires`` (unix s)
    grant: Annotated[str, Field(min_length=1, max_length=300)]
    expires: int


class ReceiptParams(_Strict):
    """Parameters of a ``print_receipt`` job: a receipt such as a queue ticket."""

    lines: Annotated[list[ReceiptLine], Field(min_length=1, max_length=200)]
    cut: bool = True
    copies: Annotated[int, Field(ge=1, le=5), NumberOnly] = 1
    #: where the agent uploads the proof (a PNG of the bytes it printed), after the print
    uploads: Uploads | None = None


class SnapshotParams(_Strict):
    """Parameters of a ``snapshot`` job: one still from the camera, uploaded as a JPEG."""

    format: Literal["jpeg"] = "jpeg"
    uploads: Uploads | None = None


class ScanParams(_Strict):
    """Parameters of a ``scan`` job: one page from the document camera, rectified, uploaded as
    a JPEG and a one-page PDF."""

    format: Literal["jpeg+pdf"] = "jpeg+pdf"
    #: ``gray``: one channel; ``document`` (文档模式): grey, lighting evened out, black text
    #: on white paper (smallest files, crispest print); None: the camera's configured mode
    mode: Literal["color", "gray", "document"] | None = None
    uploads: Uploads | None = None


Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class Fetch(_Strict):
    """Where the agent reads a job's input blob; filled in by the cloud on each send (a
    short-lived read token in the URL), never by the client (see protocol §13)."""

    url: Annotated[str, Field(min_length=1, max_length=1024)]
    expires: int


class DocumentParams(_Strict):
    """Parameters of a ``print_document`` job: a stored PDF printed on the A4 printer."""

    #: sha256 of the PDF, uploaded beforehand to ``/api/v1/blobs``
    document: Sha256Hex
    copies: Annotated[int, Field(ge=1, le=20), NumberOnly] = 1
    sides: Literal["one-sided", "two-sided-long-edge", "two-sided-short-edge"] = "one-sided"
    #: shown in the printer's queue and in the result (no personal data, please)
    title: Annotated[PrintableText, Field(max_length=128)] = ""
    fetch: Fetch | None = None


class CopyParams(_Strict):
    """Parameters of a ``copy`` job (自助复印): one page from the document camera, marked with
    a watermark "仅供{purpose}使用 · {time} · {terminal}", printed on the A4 printer."""

    #: what the copy may be used for, the XX of "仅供XX使用" (e.g. 办理户籍业务)
    purpose: Annotated[PrintableText, Field(min_length=1, max_length=32)]
    copies: Annotated[int, Field(ge=1, le=10), NumberOnly] = 1
    #: ``document`` = grey with evened-out light, the usual mode for paper documents
    mode: Literal["color", "gray", "document"] = "document"
    #: the watermark language: zh-CN (default) or en
    lang: Literal["zh-CN", "en"] = "zh-CN"
    #: where the agent uploads the printed page (the marked PDF) for the print audit, after
    #: the print; filled in by the cloud
    uploads: Uploads | None = None


#: The parameter model of each job kind.
PARAMS_FOR_KIND: dict[JobKind, type[BaseModel]] = {
    JobKind.PRINT_RECEIPT: ReceiptParams,
    JobKind.SNAPSHOT: SnapshotParams,
    JobKind.SCAN: ScanParams,
    JobKind.PRINT_DOCUMENT: DocumentParams,
    JobKind.COPY: CopyParams,
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
    #: the input blob could not be read from the cloud, or did not hash to its name
    DOWNLOAD_FAILED = "download_failed"
    #: the printer refused the document (format, size, attributes): nothing was printed
    DOCUMENT_REJECTED = "document_rejected"
    #: the printer is busy or stopped and did not take the job: nothing was printed
    PRINTER_BUSY = "printer_busy"
    #: the printer or a person at it canceled or aborted the job part-way
    PRINTER_ABORTED = "printer_aborted"
    #: the job did not finish on the printer within its time limit
    PRINTER_TIMEOUT = "printer_timeout"
    #: the watermark of a copy could not be drawn (no CJK font installed)
    WATERMARK_UNAVAILABLE = "watermark_unavailable"
    #: the device could not record the job on its own disk (full): it did not start it
    AGENT_STORAGE = "agent_storage"
    #: set by the cloud: the device was revoked before the job finished (never sent by agents)
    DEVICE_REVOKED = "device_revoked"
