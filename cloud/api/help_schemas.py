"""The call centre's REST shapes (``/api/v1/help``, ``/api/v1/kiosk/help``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Path
from pydantic import BaseModel, Field, StrictBool

from cloud.help.calls_model import CallView
from cloud.help.ref import CALL_ID_PATTERN
from cloud.schemas import _In
from protocols.guide import PLAIN

CallId = Annotated[str, Path(pattern=CALL_ID_PATTERN, description="the call: hc- + 24 hex")]
CallStateName = Literal["waiting", "ringing", "active", "ended", "missed", "cancelled"]


class CallOut(BaseModel):
    """A call as the call centre sees it."""

    call_id: str
    state: CallStateName
    device_id: str
    site_path: str
    site_name: str
    #: the kiosk screen the call came from (its name only)
    screen: str
    source: Literal["tile", "button"]
    created_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    #: who accepted (``user:alice``) and their name
    operator: str | None
    operator_name: str
    #: whose console rings now (``user:bob``), while ringing
    ringing_to: str | None
    #: place in the queue (1 = next), while unanswered
    position: int | None
    kiosk_stream_id: str
    operator_stream_id: str
    outcome: Literal["solved", "referred", "dropped"] | None
    note: str
    ended_reason: str
    #: this call is recorded (``help_recording``); the kiosk shows a notice
    recording: bool
    #: the accepting operator's token for WHIP of ``operator_stream_id`` (accept's answer only)
    operator_publish_token: str | None = None


class KioskCallOut(BaseModel):
    """A call as the kiosk shows it to the citizen."""

    call_id: str
    state: CallStateName
    position: int | None
    #: the operator's display name once answered
    operator_name: str
    recording: bool
    kiosk_stream_id: str
    operator_stream_id: str
    #: the kiosk's token for WHEP of ``operator_stream_id`` (the operator's picture), once
    #: active and while the media service is part of this cloud
    operator_view_token: str | None
    #: what to tell the citizen once the call is missed, ended or cancelled
    citizen_message: str | None
    citizen_message_en: str | None
    #: shown before the operator's picture when the call is recorded (None: not recorded)
    recording_notice: str | None = None
    recording_notice_en: str | None = None


class DutyIn(_In):
    on_duty: StrictBool


class DutyOut(BaseModel):
    operator: str
    name: str
    scope: str
    on_duty: bool
    since: datetime


class EndIn(_In):
    outcome: Literal["solved", "referred", "dropped"]
    #: for the record (the citizen never sees it)
    note: Annotated[str, Field(max_length=500, pattern=PLAIN)] = ""


class KioskCallIn(_In):
    #: the kiosk's id for one press: a retry gets the same call
    request_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
    lang: Literal["zh-CN", "en"] = "zh-CN"
    #: the name of the screen the citizen was on (``apply``, ``home``), not its content
    screen: Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_.:/-]*$")] = ""
    source: Literal["tile", "button"] = "tile"


def call_out(view: CallView, publish_token: str | None = None) -> CallOut:
    r = view.row
    kiosk_stream, operator_stream = view.streams
    return CallOut(
        call_id=r.call_id,
        state=r.state,
        device_id=r.device_id,
        site_path=r.site_path,
        site_name=view.site_name,
        screen=r.screen,
        source=r.source,
        created_at=r.created_at,
        answered_at=r.answered_at,
        ended_at=r.ended_at,
        operator=r.operator,
        operator_name=r.operator_name,
        ringing_to=r.ringing_to,
        position=view.position,
        kiosk_stream_id=kiosk_stream,
        operator_stream_id=operator_stream,
        outcome=r.outcome,
        note=r.note,
        ended_reason=r.ended_reason,
        recording=r.recording,
        operator_publish_token=publish_token,
    )
