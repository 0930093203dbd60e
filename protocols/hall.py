"""The hall's wire contract: queue tickets, and the content the cloud pushes to a site's
screens (floor plan, window information, the live calling state).

Content travels as retained messages on ``kf/v1/site/{site path}/{name}`` (see
:func:`protocols.topics.site_topic`), one body per name below. Every body carries the
``site`` it is for and a ``version`` that only grows: an agent keeps the last body of each
name it accepted (so a screen shows it after a reboot while offline) and ignores any body whose
version is not newer than the one it holds — a stale retained copy, or one replayed late,
never replaces what is on screen. Images never ride MQTT: a :class:`BlobRef` names a blob the
device fetches over HTTP with its own credentials (``GET /api/v1/blobs/{sha256}``) and checks
against the sha256 before showing it.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from protocols.guide import CATALOGUE, CatalogueBody
from protocols.serial_frames import RATING_NAMES, REASON_NAMES, Reason

__all__ = [
    "FLOORPLAN",
    "LIVE",
    "RATING_NAMES",
    "RATING_NAMES_EN",
    "REASON_NAMES",
    "REASON_NAMES_EN",
    "TICKET_NO_RE",
    "WINDOWS",
    "BlobRef",
    "CallEntry",
    "ContentBody",
    "FloorPlanBody",
    "LiveBody",
    "PlanArea",
    "PlanWindow",
    "QueueCount",
    "Reason",
    "ScreenMarker",
    "ServiceLabel",
    "StaffCard",
    "TicketState",
    "WindowInfo",
    "WindowLive",
    "WindowStatus",
    "WindowsBody",
    "content_model",
    "replaces",
]

#: the retained content names under ``kf/v1/site/{path}/``
FLOORPLAN = "floorplan"  # FloorPlanBody: the plan image, where windows and areas are
WINDOWS = "windows"  # WindowsBody: each window's number, services, staff roster
LIVE = "live"  # LiveBody: who is called where now, window status, waiting counts

#: a ticket number as printed and called: a queue's prefix letter(s) and 3-4 digits (``A012``)
TICKET_NO_RE = re.compile(r"^[A-Z]{1,2}[0-9]{3,4}$")

RATING_NAMES_EN: dict[int, str] = {
    5: "Very satisfied",
    4: "Satisfied",
    3: "Fairly satisfied",
    2: "Dissatisfied",
    1: "Very dissatisfied",
}
REASON_NAMES_EN: dict[Reason, str] = {
    Reason.WAIT_LONG: "Waited too long",
    Reason.ATTITUDE: "Unfriendly staff",
    Reason.SLOW: "Slow service",
    Reason.NOT_INFORMED: "Not told everything needed at once",
    Reason.OTHER: "Other",
}


class TicketState(StrEnum):
    """A queue ticket's life (``fleet.queue`` decides the transitions).

    issued → called → serving → done; called → no_show; called → called (recall);
    issued | called → cancelled; issued | called | serving → transferred (the ticket ends and
    a new one, linked to it, waits in the other queue or for the other window)."""

    ISSUED = "issued"
    CALLED = "called"
    SERVING = "serving"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"


class WindowStatus(StrEnum):
    OPEN = "open"
    PAUSED = "paused"
    CLOSED = "closed"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Text64 = Annotated[str, Field(max_length=64)]
WindowNo = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,8}$")]  # "3", "12", "A-1"
QueueCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class BlobRef(_Body):
    """An image the device fetches over HTTP and checks before showing."""

    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=1, le=16 * 1024 * 1024)]
    media_type: Literal["image/png", "image/jpeg", "image/webp", "image/svg+xml"]


class _Content(_Body):
    site: Annotated[str, Field(max_length=200)]
    #: grows with every publication of this name for this site (a rollback is a new version)
    version: Annotated[int, Field(ge=1)]
    published_at: AwareDatetime


class PlanWindow(_Body):
    """Where window ``number`` is on the plan: the centre, as fractions of width and height."""

    number: WindowNo
    x: Fraction
    y: Fraction


class PlanArea(_Body):
    """A named area of the hall (waiting area, self-service zone): a rectangle in fractions."""

    name_zh: Annotated[str, Field(min_length=1, max_length=32)]
    name_en: Text64 = ""
    x: Fraction
    y: Fraction
    w: Fraction
    h: Fraction


class ScreenMarker(_Body):
    """ "You are here" for one screen device."""

    device_id: Annotated[str, Field(max_length=64)]
    x: Fraction
    y: Fraction


class FloorPlanBody(_Content):
    kind: Literal["floorplan"] = "floorplan"
    image: BlobRef
    #: the image's own size in pixels (so positions can be drawn before it loads)
    width: Annotated[int, Field(ge=1, le=20000)]
    height: Annotated[int, Field(ge=1, le=20000)]
    title_zh: Annotated[str, Field(max_length=64)] = ""
    title_en: Text64 = ""
    windows: Annotated[list[PlanWindow], Field(max_length=200)] = []
    areas: Annotated[list[PlanArea], Field(max_length=100)] = []
    markers: Annotated[list[ScreenMarker], Field(max_length=100)] = []


class ServiceLabel(_Body):
    code: QueueCode
    name_zh: Annotated[str, Field(min_length=1, max_length=64)]
    name_en: Text64 = ""


class StaffCard(_Body):
    """A member of staff as a window screen shows them (no personal data beyond this)."""

    staff_no: Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,16}$")]
    name: Annotated[str, Field(min_length=1, max_length=32)]
    title: Annotated[str, Field(max_length=32)] = ""
    photo: BlobRef | None = None


class WindowInfo(_Body):
    number: WindowNo
    name_zh: Annotated[str, Field(max_length=64)] = ""
    name_en: Text64 = ""
    services: Annotated[list[ServiceLabel], Field(max_length=50)] = []
    #: who usually works here; the live body says who is signed in now
    staff: Annotated[list[StaffCard], Field(max_length=20)] = []
    #: the device ids of this window's screen, call button and rating pad, when known
    screen_device: Annotated[str, Field(max_length=64)] = ""


class WindowsBody(_Content):
    kind: Literal["windows"] = "windows"
    windows: Annotated[list[WindowInfo], Field(max_length=200)]


class WindowLive(_Body):
    number: WindowNo
    status: WindowStatus
    #: the staff signed in at the window now ("" nobody)
    staff_no: Annotated[str, Field(max_length=16)] = ""
    #: the ticket called to or served at this window now
    serving: Annotated[str, Field(max_length=8)] = ""
    serving_state: Literal["", "called", "serving"] = ""


class CallEntry(_Body):
    """One call (or recall) of a ticket to a window, for the now-calling list and the chime."""

    ticket: Annotated[str, Field(max_length=8)]
    window: WindowNo
    queue: QueueCode
    called_at: AwareDatetime
    #: 0 for the first call, 1.. for each recall (the screen chimes and speaks each)
    recall: Annotated[int, Field(ge=0, le=99)] = 0


class QueueCount(_Body):
    code: QueueCode
    name_zh: Annotated[str, Field(min_length=1, max_length=64)]
    name_en: Text64 = ""
    waiting: Annotated[int, Field(ge=0)]
    #: a rough expected wait for the next ticket taken now, minutes (None: not enough data)
    expected_wait_min: Annotated[int, Field(ge=0)] | None = None


class LiveBody(_Content):
    """The calling state of a site, republished on every call, recall, status change."""

    kind: Literal["live"] = "live"

    windows: Annotated[list[WindowLive], Field(max_length=200)] = []
    #: newest first, at most 20
    calls: Annotated[list[CallEntry], Field(max_length=20)] = []
    queues: Annotated[list[QueueCount], Field(max_length=100)] = []


#: what a ``content`` envelope carries; ``kind`` is also the topic's last level
ContentBody = Annotated[
    FloorPlanBody | WindowsBody | LiveBody | CatalogueBody, Field(discriminator="kind")
]
ContentModel = type[FloorPlanBody] | type[WindowsBody] | type[LiveBody] | type[CatalogueBody]
_MODELS: dict[str, ContentModel] = {
    FLOORPLAN: FloorPlanBody,
    WINDOWS: WindowsBody,
    LIVE: LiveBody,
    CATALOGUE: CatalogueBody,  # protocols.guide: the service guide the kiosks search offline
}


def content_model(name: str) -> ContentModel | None:
    """The body model of site content ``name`` (None for a name this version does not know —
    a newer cloud may publish more; an agent ignores what it does not know)."""
    return _MODELS.get(name)


def replaces(incoming: int, held: int | None) -> bool:
    """Whether a body of version ``incoming`` replaces the one held (strictly newer only)."""
    return held is None or incoming > held
