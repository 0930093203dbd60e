"""Message bodies, one model per envelope ``type``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocols.jobs import AckState, JobKind


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
    capabilities: Annotated[list[Name], Field(max_length=32)] = []
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


class EventBody(_Body):
    """Something happened on the device."""

    kind: EventKind
    peripheral: Name | None = None
    health: Health | None = None
    reason: Text = ""
    data: Annotated[dict[str, Any], Field(max_length=64)] = {}


class JobRun(_Body):
    """Command: run job ``job_id`` (at most once per ``job_id``)."""

    op: Literal["job.run"] = "job.run"
    job_id: Name
    kind: JobKind
    attempt: Annotated[int, Field(ge=1)] = 1
    #: peripheral to use; None = the first one with the needed capability
    peripheral: Name | None = None
    params: dict[str, Any]


class JobCancel(_Body):
    """Command: cancel job ``job_id`` if it has not started its side effect."""

    op: Literal["job.cancel"] = "job.cancel"
    job_id: Name


class Rebirth(_Body):
    """Command: publish birth and state again (the cloud lost track)."""

    op: Literal["rebirth"] = "rebirth"


CommandBody = Annotated[JobRun | JobCancel | Rebirth, Field(discriminator="op")]


class AckBody(_Body):
    """Progress or result of a job; ``corr`` of the envelope names the command."""

    job_id: Name
    state: AckState
    attempt: Annotated[int, Field(ge=1)] = 1
    reason: Annotated[str, Field(max_length=64)] = ""
    message: Text = ""
    result: Annotated[dict[str, Any], Field(max_length=64)] = {}
