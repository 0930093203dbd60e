"""Bodies of the hall queue's API (``/api/v1/hall/queues|services|windows|tickets|monitor``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from protocols.hall import TicketState, WindowStatus

QueueCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
WindowNo = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,8}$")]
StaffNo = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,16}$")]
DeviceId = Annotated[str, Field(pattern=r"^([a-z0-9][a-z0-9_.-]{0,63})?$")]
NameZh = Annotated[str, Field(min_length=1, max_length=64)]
NameEn = Annotated[str, Field(max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class QueueEdit(_In):
    name_zh: NameZh
    name_en: NameEn = ""
    #: printed before the number (``A`` → ``A012``); unique per site
    prefix: Annotated[str, Field(pattern=r"^[A-Z]{1,2}$")]
    active: bool = True


class QueueIn(QueueEdit):
    code: QueueCode


class QueueOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    prefix: str
    active: bool
    waiting: int = 0


class ServiceEdit(_In):
    name_zh: NameZh
    name_en: NameEn = ""
    #: the queue its tickets wait in
    queue: QueueCode
    active: bool = True


class ServiceIn(ServiceEdit):
    code: QueueCode


class ServiceOut(BaseModel):
    code: str
    name_zh: str
    name_en: str
    queue: str
    active: bool


class WindowEdit(_In):
    name_zh: Annotated[str, Field(max_length=64)] = ""
    name_en: NameEn = ""
    #: the queues it calls from, most preferred first
    queue_codes: Annotated[list[QueueCode], Field(max_length=20)] = []
    #: usual staff (staff numbers), in order
    roster: Annotated[list[StaffNo], Field(max_length=20)] = []
    #: the call button box and the number of this window's call-next button on it
    call_device: DeviceId = ""
    call_button: Annotated[int, Field(ge=1, le=13)] = 1
    rating_device: DeviceId = ""
    rating_peripheral: Annotated[str, Field(pattern=r"^[^\x00/]{0,64}$")] = ""
    screen_device: DeviceId = ""


class WindowIn(WindowEdit):
    number: WindowNo


class WindowOut(BaseModel):
    number: str
    name_zh: str
    name_en: str
    queue_codes: list[str]
    roster: list[str]
    call_device: str
    call_button: int
    rating_device: str
    rating_peripheral: str
    screen_device: str
    status: WindowStatus
    staff_no: str
    #: the ticket called to or served at it now ("" none)
    ticket_no: str = ""
    ticket_state: str = ""


class DeskOut(BaseModel):
    """A window's desk after a sign-in, sign-out or status change."""

    number: str
    status: WindowStatus
    staff_no: str
    ticket_no: str
    ticket_state: str


class TicketIn(_In):
    service: QueueCode
    source: Literal["kiosk", "console", "appointment", "phone"] = "console"
    appointment_id: Annotated[str, Field(max_length=64)] = ""
    #: an appointment checked in within its slot: goes ahead of walk-ins (docs/hall-queue.md)
    priority: bool = False


class TicketOut(BaseModel):
    id: int
    site: str
    ticket_no: str
    state: TicketState
    queue: str
    service: str
    source: str
    people_ahead: int
    issued_at: datetime
    window: str
    staff_no: str
    called_at: datetime | None
    recalls: int
    ended_at: datetime | None
    appointment_id: str
    case_no: str
    transferred_from: int | None
    transferred_to: int | None


class TicketList(BaseModel):
    items: list[TicketOut]


class SignInIn(_In):
    staff_no: StaffNo


class StatusIn(_In):
    status: WindowStatus


class CompleteIn(_In):
    #: the 办件编号 of the case handled, when known
    case_no: Annotated[str, Field(pattern=r"^[^\x00]{0,64}$")] = ""


class TransferIn(_In):
    """Exactly one of the two."""

    to_queue: Annotated[str, Field(pattern=r"^([a-z0-9][a-z0-9_-]{0,31})?$")] = ""
    to_window: Annotated[str, Field(pattern=r"^([0-9A-Za-z-]{1,8})?$")] = ""


class QueueMonitor(BaseModel):
    code: str
    name_zh: str
    name_en: str
    waiting: int
    #: today (the hall's local day): tickets served to the end, their mean wait and service
    served_today: int
    avg_wait_min: float | None
    avg_service_min: float | None
    expected_wait_min: int | None


class WindowMonitor(BaseModel):
    number: str
    status: WindowStatus
    staff_no: str
    ticket_no: str
    ticket_state: str
    served_today: int


class Monitor(BaseModel):
    site: str
    day: str
    queues: list[QueueMonitor]
    windows: list[WindowMonitor]
