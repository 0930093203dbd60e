"""The bodies and answers the e-form routes share (console, kiosk, phone)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, StrictFloat, StrictInt

from cloud.schemas import NumberOnly, _In
from protocols.eform import FIELD_KEY_RE, FormDef
from protocols.eform_check import FormProblem
from protocols.guide import CLOSED, PLAIN

FieldKey = Annotated[str, Field(pattern=FIELD_KEY_RE)]
#: one filled value: text (no control characters), a yes/no, a whole number or an amount
FormValue = (
    Annotated[str, Field(max_length=500, pattern=PLAIN)] | StrictBool | StrictInt | StrictFloat
)
#: a filled form: field key → value (keys outside the key pattern are refused)
FormData = Annotated[
    dict[FieldKey, FormValue], Field(default_factory=dict, max_length=100, json_schema_extra=CLOSED)
]
Version = Annotated[int, Field(ge=1, le=1_000_000), NumberOnly]
RequestId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]


class ProblemOut(BaseModel):
    #: the field's key ("" for the form as a whole)
    field: str
    message: str
    message_en: str

    @classmethod
    def of(cls, p: FormProblem) -> ProblemOut:
        return cls(field=p.field, message=p.message, message_en=p.message_en)


class CheckIn(_In):
    data: FormData
    #: the version the data was filled against (default: the current one)
    version: Version | None = None


class CheckOut(BaseModel):
    code: str
    version: int
    #: empty: the form may be submitted
    problems: list[ProblemOut]


class FormListEntry(BaseModel):
    code: str
    title: str
    title_en: str
    version: int


class FormListOut(BaseModel):
    forms: list[FormListEntry]


class HandoffOut(BaseModel):
    id: str
    #: the phone link (the QR code's content): single-use, valid until ``expires_at``
    url: str
    version: int
    expires_at: datetime


class HandoffPollOut(BaseModel):
    state: Literal["waiting", "filled", "expired"]
    expires_at: datetime
    #: the phone's data, in the one answer that hands it over (``filled``)
    data: dict[str, str | bool | int | float] | None = None


class PrintIn(_In):
    data: FormData
    version: Version | None = None
    #: the kiosk's id of this print: the same id again answers the job already made
    request_id: RequestId | None = None


class PrintOut(BaseModel):
    job_id: str


class PhoneFormOut(BaseModel):
    form: FormDef
    expires_at: datetime


class PhoneFillIn(_In):
    data: FormData


class PhoneFillOut(BaseModel):
    state: Literal["filled"]
