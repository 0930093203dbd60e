"""Message bodies, one model per envelope ``type``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from protocols.av import StreamData
from protocols.jobs import (
    AckState,
    Capability,
    CopyParams,
    DocumentParams,
    JobKind,
    ReceiptParams,
    ScanParams,
    SnapshotParams,
)
from protocols.upgrade import RollbackOrder, UpgradeData, UpgradeOrder


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Role(StrEnum):
    """What a device is in the hall."""

    KIOSK = "kiosk"
    WINDOW = "window"
    HALL_SCREEN = "hall_screen"


class Health(StrEnum):
    """Health of a peripheral. ``unknown`` is never treated as ``ok``."""

    OK = "ok"
    DEGRADED = "degraded"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


Name = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(max_length=1024)]


class PeripheralInfo(_Body):
    """One peripheral as announced in a birth message."""

    id: Name
    kind: Name  # e.g. "receipt_printer"
    model: Annotated[str, Field(max_length=128)] = ""
    capabilities: Annotated[list[Capability], Field(max_length=32)] = []
    health: Health = Health.UNKNOWN
    reason: Text = ""


class Versions(_Body):
    agent: Annotated[str, Field(max_length=64)]
    protocol: int


class BirthBody(_Body):
    """Retained on ``birth``: who the device is and what it can do, for session ``bd_seq``."""

    device_id: Name
    role: Role
    site: Annotated[str, Field(max_length=200)]
    name: Annotated[str, Field(max_length=128)] = ""
    bd_seq: Annotated[int, Field(ge=0)]
    versions: Versions
    peripherals: Annotated[list[PeripheralInfo], Field(max_length=64)] = []
    #: the device's telemetry period (s): the heartbeat the cloud's liveness counts on
    #: (``protocols.telemetry.SILENT_AFTER_PERIODS`` of them without a message → silent);
    #: None from agents older than issue 12 (the cloud then uses its default)
    tele_interval_s: Annotated[float, Field(gt=0, le=86400)] | None = None


class StateBody(_Body):
    """Retained on ``state``: online/offline of session ``bd_seq``. Offline is the MQTT will."""

    online: bool
    bd_seq: Annotated[int, Field(ge=0)]


class Metric(_Body):
    name: Name
    value: float
    ts: int  # wall-clock ms
    tags: Annotated[dict[Name, Name], Field(max_length=16)] = {}


class TelemetryBody(_Body):
    """A batch of metrics."""

    metrics: Annotated[list[Metric], Field(min_length=1, max_length=1000)]


class EventKind(StrEnum):
    PERIPHERAL_HEALTH = "peripheral_health"
    MESSAGE_REJECTED = "message_rejected"
    BUTTON = "button"  # a call button was pressed: data is ButtonData
    RATING = "rating"  # a citizen rated a case on a 好差评 pad: data is RatingData
    IDCARD_READ = "idcard_read"  # an ID card was read: data is IdCardReadData (masked only)
    STREAM = "stream"  # issue 16: a camera stream changed state: data is protocols.av.StreamData
    #: issue 17: one step of an agent upgrade (no peripheral): data is protocols.upgrade.UpgradeData
    UPGRADE = "upgrade"


class ButtonData(_Body):
    """``data`` of a ``button`` event. A long press is reported as ``press`` then
    ``long_press`` (the device decides after 1.5 s); releases are not reported."""

    button: Annotated[int, Field(ge=1, le=16)]
    kind: Literal["press", "long_press"]


class RatingData(_Body):
    """``data`` of a ``rating`` event: ``code`` 5 (非常满意) .. 1 (非常不满意) with its Chinese
    ``name`` and, for codes 1..3, ``reasons``; no ``code`` and ``timed_out`` if nobody rated."""

    case_no: Name
    code: Annotated[int, Field(ge=1, le=5)] | None = None
    name: Annotated[str, Field(max_length=16)] = ""
    reasons: Annotated[list[Name], Field(max_length=8)] = []
    timed_out: bool = False


#: a masked resident ID number: the first 4 and last 4 characters, 10 ``*`` between
MASKED_ID_NUMBER = r"^[0-9]{4}\*{10}[0-9]{3}[0-9X]$"


class IdCardReadData(_Body):
    """``data`` of an ``idcard_read`` event: masked fields only, never the card's contents.

    The patterns accept nothing but the masked forms, so a device that tried to send a raw
    ID number or a full name would have its event rejected by the cloud (and the rejection
    never echoes the value)."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    id_number: Annotated[str, Field(pattern=MASKED_ID_NUMBER)]  # 6328**********1234
    name: Annotated[str, Field(pattern=r"^\S\*$")]  # the first character and one ``*``


EVENT_DATA: dict[EventKind, type[BaseModel]] = {
    EventKind.BUTTON: ButtonData,
    EventKind.RATING: RatingData,
    EventKind.IDCARD_READ: IdCardReadData,
    EventKind.STREAM: StreamData,
    EventKind.UPGRADE: UpgradeData,
}
#: kinds whose data is about the agent itself, not one of its peripherals
AGENT_EVENTS: frozenset[EventKind] = frozenset({EventKind.UPGRADE})


class EventBody(_Body):
    """Something happened on the device. Validation errors never echo values: an event may
    carry personal data that must not reach a log."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    kind: EventKind
    peripheral: Name | None = None
    health: Health | None = None
    reason: Text = ""
    data: Annotated[dict[str, Any], Field(max_length=64)] = {}

    @model_validator(mode="after")
    def _data_of_kind(self) -> EventBody:
        model = EVENT_DATA.get(self.kind)
        if model is not None:
            if self.kind in AGENT_EVENTS:
                if self.peripheral is not None:
                    raise ValueError(f"a {self.kind.value} event is the agent's: no peripheral")
            elif self.peripheral is None:
                raise ValueError(f"a {self.kind.value} event names its peripheral")
            try:
                model.model_validate(self.data)
            except ValidationError as err:  # re-raised without the values (personal data)
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                    for e in err.errors(include_input=False)
                )
                raise ValueError(f"{self.kind.value} data: {problems}") from None
        return self


class JobRunBase(_Body):
    """Command: run job ``job_id`` (at most once per ``job_id``); one subclass per ``kind``,
    each with its typed ``params`` (:data:`JobRun` is their union)."""

    op: Literal["job.run"] = "job.run"
    job_id: Name
    kind: JobKind
    attempt: Annotated[int, Field(ge=1)] = 1
    #: peripheral to use; None = the first one with the needed capability
    peripheral: Name | None = None
    #: the cloud may move the job to another device of its site (protocol §7, failover): the
    #: device runs it only once its ``accepted`` ack reached the broker before the envelope's
    #: ``exp``, which is then the *delivery* deadline
    movable: bool = False
    #: wall ms after which the job must not start any more (its TTL); None: the envelope's
    #: ``exp`` is both delivery and start deadline
    run_by: Annotated[int, Field(ge=0)] | None = None
    #: the kind's parameter model; each subclass narrows it
    params: BaseModel


class ReceiptJobRun(JobRunBase):
    kind: Literal[JobKind.PRINT_RECEIPT] = JobKind.PRINT_RECEIPT
    params: ReceiptParams


class SnapshotJobRun(JobRunBase):
    kind: Literal[JobKind.SNAPSHOT] = JobKind.SNAPSHOT
    params: SnapshotParams = SnapshotParams()


class ScanJobRun(JobRunBase):
    kind: Literal[JobKind.SCAN] = JobKind.SCAN
    params: ScanParams = ScanParams()


class DocumentJobRun(JobRunBase):
    kind: Literal[JobKind.PRINT_DOCUMENT] = JobKind.PRINT_DOCUMENT
    params: DocumentParams


class CopyJobRun(JobRunBase):
    kind: Literal[JobKind.COPY] = JobKind.COPY
    params: CopyParams


#: ``job.run`` as it travels: the union of the kinds, told apart by ``kind``.
JobRun = Annotated[
    ReceiptJobRun | SnapshotJobRun | ScanJobRun | DocumentJobRun | CopyJobRun,
    Field(discriminator="kind"),
]
_JOB_RUN: TypeAdapter[JobRunBase] = TypeAdapter(JobRun)


def make_job_run(**fields: Any) -> JobRunBase:
    """Validate ``fields`` (e.g. a stored job's kind and params) into its kind's ``job.run``;
    raises :class:`pydantic.ValidationError` naming the bad field."""
    return _JOB_RUN.validate_python({"op": "job.run", **fields})


class JobCancel(_Body):
    """Command: cancel job ``job_id`` if it has not started its side effect."""

    op: Literal["job.cancel"] = "job.cancel"
    job_id: Name


class Rebirth(_Body):
    """Command: publish birth and state again (the cloud lost track)."""

    op: Literal["rebirth"] = "rebirth"


class PeripheralCall(_Body):
    """Command: perform ``action`` on ``peripheral`` now (set a call-button LED, ask for a
    rating, ...); see ``protocols.calls``. Answered by acks with ``subject`` = ``call`` and
    ``job_id`` = ``call_id``."""

    op: Literal["peripheral.call"] = "peripheral.call"
    call_id: Name
    peripheral: Name
    action: Name
    args: Annotated[dict[str, Any], Field(max_length=64)] = {}


CommandBody = Annotated[
    JobRun | JobCancel | Rebirth | PeripheralCall | UpgradeOrder | RollbackOrder,
    Field(discriminator="op"),
]


class AckBody(_Body):
    """Progress or result of a job (or of a peripheral call); the envelope's ``corr`` is the
    ``id`` of the ``cmd`` envelope it answers."""

    #: ``job``: ``job_id`` names a job; ``call``: the answer to a ``peripheral.call``, and
    #: ``job_id`` holds its ``call_id``
    subject: Literal["job", "call"] = "job"
    job_id: Name
    state: AckState
    attempt: Annotated[int, Field(ge=1)] = 1
    reason: Annotated[str, Field(max_length=64)] = ""
    message: Text = ""
    result: Annotated[dict[str, Any], Field(max_length=64)] = {}
