"""Request and response bodies of the 好差评 API (ratings, reports, follow-ups, kiosk and
phone ratings)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from cloud.schemas import NumberOnly

Outcome = Literal["rated", "timed_out", "abandoned"]
Source = Literal["pad", "kiosk", "phone"]
ReasonCode = Literal["wait_long", "attitude", "slow", "not_informed", "other"]
Level = Annotated[int, Field(ge=1, le=5, description="5 非常满意 .. 1 非常不满意"), NumberOnly]
Text = Annotated[str, Field(max_length=500, pattern=r"^[^\x00-\x08\x0b-\x1f]*$")]
Code = Annotated[str, Field(max_length=32, pattern=r"^[A-Za-z0-9_-]*$")]
CaseNo = Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f]*$")]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RatingOut(BaseModel):
    id: int
    site: str
    source: str
    outcome: str
    level: int | None
    level_name: str
    reasons: list[str]
    comment: str
    ticket_id: int | None
    ticket_no: str
    case_no: str
    window_no: str
    staff_no: str
    service_code: str
    device_id: str
    asked_at: datetime | None
    rated_at: datetime
    fwd_state: str
    follow_up_id: int | None = None


class RatingPage(BaseModel):
    items: list[RatingOut]
    next_cursor: int | None


class ReportRow(BaseModel):
    """One group: its key, counts per level and outcome, and the satisfaction rate."""

    key: str
    site: str
    counts: dict[str, int] = Field(description="level 5..1 → number of ratings")
    rated: int
    timed_out: int
    abandoned: int
    bad: int = Field(description="差评: 不满意 + 非常不满意")
    satisfaction: float | None = Field(description="(5+4+3) / rated; null when nobody rated")


class Report(BaseModel):
    by: str
    site: str
    start: datetime | None
    end: datetime | None
    rows: list[ReportRow]
    total: ReportRow


#: reasons are for 基本满意 .. 非常不满意 (3 .. 1): said in the schema, so a client (and the
#: fuzz suite) knows a 满意 with reasons is invalid input, not a refusal of valid input
_NO_REASONS_ABOVE_3: JsonDict = {
    "if": {"properties": {"level": {"minimum": 4}}, "required": ["level"]},
    "then": {"properties": {"reasons": {"maxItems": 0}}},
}


class RateIn(_In):
    """A rating from a kiosk or a phone: a level, and for 3..1 optional reasons."""

    model_config = ConfigDict(json_schema_extra=_NO_REASONS_ABOVE_3)

    level: Level
    reasons: Annotated[list[ReasonCode], Field(max_length=5)] = []
    comment: Text = ""


class KioskRateIn(RateIn):
    #: the kiosk's own id of this rating (a retry sends the same one): one row per id
    request_id: Annotated[str, Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    service: Code = ""
    case_no: CaseNo = ""
    ticket_no: Annotated[str, Field(max_length=8, pattern=r"^([A-Z]{1,2}[0-9]{3,4})?$")] = ""


class PhoneLinkIn(_In):
    """What a phone rating link is for (all optional but the site in the query)."""

    ticket_no: Annotated[str, Field(max_length=8, pattern=r"^([A-Z]{1,2}[0-9]{3,4})?$")] = ""
    ticket_id: Annotated[int, Field(ge=1, le=2**31 - 1), NumberOnly] | None = None
    window: Annotated[str, Field(max_length=8, pattern=r"^[0-9A-Za-z-]{0,8}$")] = ""
    staff_no: Annotated[str, Field(max_length=16, pattern=r"^[0-9A-Za-z-]{0,16}$")] = ""
    service: Code = ""
    case_no: CaseNo = ""


class PhoneLinkOut(BaseModel):
    token: str
    #: the page's path (``/r/{token}``): print it as a QR code after the cloud's public URL
    path: str
    url: str
    expires_at: datetime


class PhoneRated(BaseModel):
    rating_id: int
    message: str


class FollowUpOut(BaseModel):
    id: int
    site: str
    rating_id: int
    level: int
    level_name: str
    window_no: str
    staff_no: str
    ticket_no: str
    state: str
    opened_at: datetime
    due_at: datetime
    assignee: str
    reminders: list[str]
    closed_at: datetime | None
    closed_by: str
    note: str


class FollowUpPage(BaseModel):
    items: list[FollowUpOut]


class CloseIn(_In):
    note: Annotated[str, Field(min_length=1, max_length=2000, pattern=r"^[^\x00-\x08\x0b-\x1f]*$")]


class AssignIn(_In):
    assignee: Annotated[str, Field(max_length=64, pattern=r"^[^\x00-\x1f]*$")]
