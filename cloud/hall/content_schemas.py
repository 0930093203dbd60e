"""What the content API takes and returns.

Positions arrive as plain finite numbers (not the protocol's ``[0, 1]`` fractions), so a plan
with a window dragged off the image gets :func:`fleet.content.check_plan`'s precise message
(which window, which axis, what to do) rather than a generic range error.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1000, le=1000)]
WindowNumber = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,8}$")]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
#: the kinds the content API versions
ContentKind = Literal["floorplan", "windows"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanWindowIn(_In):
    number: WindowNumber
    x: Finite
    y: Finite


class PlanAreaIn(_In):
    name_zh: Annotated[str, Field(min_length=1, max_length=32)]
    name_en: Annotated[str, Field(max_length=64)] = ""
    x: Finite
    y: Finite
    w: Finite
    h: Finite


class MarkerIn(_In):
    """ "You are here" of one screen device on the plan."""

    device_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
    x: Finite
    y: Finite


class FloorPlanIn(_In):
    """A floor plan to publish: an image uploaded for this site and what is placed on it."""

    image_sha256: Sha256
    title_zh: Annotated[str, Field(max_length=64)] = ""
    title_en: Annotated[str, Field(max_length=64)] = ""
    windows: Annotated[list[PlanWindowIn], Field(max_length=200)] = []
    areas: Annotated[list[PlanAreaIn], Field(max_length=100)] = []
    markers: Annotated[list[MarkerIn], Field(max_length=100)] = []


class WindowsPublishIn(_In):
    """``version``: the number you mean to publish (current + 1); omit it to take the next.
    The window information itself is built from the site's configuration."""

    version: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None


class FloorPlanPublishIn(WindowsPublishIn):
    """``plan``: the plan you edited (the upload's image sha256, windows, areas, markers)."""

    plan: FloorPlanIn


class ContentVersionOut(BaseModel):
    id: int
    site: str
    kind: str
    #: None for a draft
    version: int | None
    state: Literal["draft", "published"]
    current: bool
    body: dict[str, Any]
    rolled_back_to: int | None
    created_at: datetime
    created_by: str
    published_at: datetime | None
    published_by: str


class ContentList(BaseModel):
    site: str
    kind: str
    #: the version screens show (None: nothing published yet)
    current: int | None
    #: published versions, newest first
    items: list[ContentVersionOut]
    #: uploaded plans not published yet, newest first
    drafts: list[ContentVersionOut]


class StaffIn(_In):
    """A member of staff as changed by ``PUT`` (the staff number is in the path)."""

    name: Annotated[str, Field(min_length=1, max_length=32)]
    title: Annotated[str, Field(max_length=32)] = ""
    username: Annotated[str, Field(max_length=64)] = ""
    active: bool = True


class StaffCreateIn(StaffIn):
    staff_no: Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,16}$")]


class StaffOut(BaseModel):
    site: str
    staff_no: str
    name: str
    title: str
    username: str
    active: bool
    photo_sha256: str
    photo_media_type: str
    photo_size: int


class StaffList(BaseModel):
    site: str
    items: list[StaffOut]
