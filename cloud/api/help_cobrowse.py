"""Remote operation of a kiosk's screen during a help call (docs/help-cobrowse.md).

Operator side (``help.answer``, only the operator who accepted the call, only while active):
``POST /api/v1/help/calls/{call_id}/control``, ``GET .../screen``, ``POST .../actions``.
Kiosk side (device credentials, only the calling kiosk): ``PUT
/api/v1/kiosk/help/calls/{call_id}/screen``, ``GET .../actions``, ``POST .../control``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, StrictBool

from cloud.api.auth_deps import DeviceCaller, require
from cloud.api.enrollment import described
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.help.cobrowse import Screen
from cloud.help.incall import InCall
from cloud.help.ref import CALL_ID_PATTERN
from cloud.schemas import _In
from fleet.access import Permission
from protocols.guide import PLAIN

router = APIRouter(tags=["help"], route_class=StrictJsonRoute)
MAX_WAIT_S = 25.0
OP = "/api/v1/help/calls/{call_id}"
KIOSK = "/api/v1/kiosk/help/calls/{call_id}"
MAX_HTML = 50_000
REF = r"^[a-z0-9][a-z0-9-]{0,39}$"
CallId = Annotated[str, Path(pattern=CALL_ID_PATTERN, description="the call's id (hc-…)")]
Operator = Annotated[Principal, Depends(require(Permission.HELP_ANSWER))]
WaitS = Annotated[
    float, Query(ge=0, le=MAX_WAIT_S, allow_inf_nan=False, description="wait up to this long")
]
Plain500 = Annotated[str, Field(max_length=500, pattern=PLAIN)]

_OPERATOR = {
    401: "no credentials, or wrong ones",
    403: "permission_denied: help.answer is needed",
    404: "no such call (or outside your scope)",
    409: "call_not_active (the call is over or not answered yet) or not_your_call (another "
    "operator accepted it)",
}
_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only: the caller is not a device",
    404: "no such call from this kiosk",
    409: "call_not_active: the call is over or not answered yet",
}
_OP_ERRORS = described(400, 422, 500, said=_OPERATOR)
_OP_BODY_ERRORS = described(400, 413, 422, 500, said=_OPERATOR)
_ACT_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        **_OPERATOR,
        409: _OPERATOR[409] + ", or control_not_granted (the citizen has not given control, "
        "or took it back): nothing is applied",
    },
)
_KIOSK_ERRORS = described(400, 413, 422, 500, said=_DEVICE)
_CONTROL_ERRORS = described(
    400,
    413,
    422,
    500,
    said={**_DEVICE, 409: _DEVICE[409] + ", or control_not_asked (granted/declined answer an ask)"},
)


async def _incall(request: Request) -> InCall:
    incall: InCall = request.app.state.parts.cobrowse
    return incall


InCallDep = Annotated[InCall, Depends(_incall)]


class FieldOut(BaseModel):
    #: the element's stable reference on this screen (the kiosk tags it ``data-ref``)
    ref: Annotated[str, Field(pattern=REF)]
    kind: Literal["text", "select", "checkbox", "button"]
    label: Annotated[str, Field(max_length=100, pattern=PLAIN)]
    #: what it holds now, masked as the kiosk's screen masks it (ID, phone, bank card)
    value: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""
    disabled: StrictBool = False


class FieldIn(FieldOut, _In):
    pass


class ScreenOut(BaseModel):
    seq: int
    title: str
    #: the sanitised markup (an allow-list copy: no scripts, no handlers, no remote images)
    html: str
    fields: list[FieldOut]
    control: Literal["none", "asked", "granted", "declined", "revoked"]


class ScreenIn(_In):
    title: Annotated[str, Field(max_length=200, pattern=PLAIN)]
    #: at most 50,000 characters (any body fits the API's 1 MB limit, JSON-escaped): the
    #: kiosk drops its scans' thumbnails from a screen that would be longer
    html: Annotated[str, Field(max_length=MAX_HTML, pattern=PLAIN)]
    fields: Annotated[list[FieldIn], Field(max_length=100)]


class ScreenSeq(BaseModel):
    seq: int


class ControlAsk(_In):
    #: true asks the citizen for control; false hands it back
    request: StrictBool


class ControlAnswer(_In):
    state: Literal["granted", "declined", "revoked"]


class ControlOut(BaseModel):
    control: Literal["none", "asked", "granted", "declined", "revoked"]


class ActionIn(_In):
    type: Literal["fill", "click"]
    ref: Annotated[str, Field(pattern=REF)]
    #: what to type (``fill`` only)
    value: Plain500 | None = None


class ActionQueued(BaseModel):
    action_id: int


class KioskEvent(BaseModel):
    id: int
    type: Literal["control", "fill", "click"]
    state: str | None = None
    ref: str | None = None
    value: str | None = None


class KioskEvents(BaseModel):
    control: Literal["none", "asked", "granted", "declined", "revoked"]
    events: list[KioskEvent]


def _screen_out(screen: Screen) -> ScreenOut:
    fields = [FieldOut.model_validate(f) for f in screen.fields]
    return ScreenOut(
        seq=screen.seq, title=screen.title, html=screen.html, fields=fields, control=screen.control
    )


# --- the operator ---
@router.post(f"{OP}/control", response_model=ControlOut, responses=_OP_BODY_ERRORS)
async def ask_control(
    call_id: CallId, body: ControlAsk, caller: Operator, incall: InCallDep
) -> ControlOut:
    """Ask the citizen for control of their screen (they answer on the kiosk), or hand it back."""
    await incall.gate.operator(call_id, caller)
    if body.request:
        screen = incall.cobrowse.ask(call_id)
    else:
        screen = incall.cobrowse.answer(call_id, "revoked")
    return ControlOut(control=screen.control)


@router.get(f"{OP}/screen", response_model=ScreenOut, responses=_OP_ERRORS)
async def get_screen(
    call_id: CallId,
    caller: Operator,
    incall: InCallDep,
    after_seq: Annotated[int, Query(ge=0, le=2**31)] = 0,
    wait_s: WaitS = 0,
) -> ScreenOut:
    """The kiosk's current screen; waits up to ``wait_s`` for one newer than ``after_seq``."""
    await incall.gate.operator(call_id, caller)
    screen = await incall.cobrowse.screen(call_id, after_seq, wait_s)
    if wait_s:  # the call may have ended while waiting: say so rather than the last screen
        await incall.gate.operator(call_id, caller)
    return _screen_out(screen)


@router.post(f"{OP}/actions", status_code=201, response_model=ActionQueued, responses=_ACT_ERRORS)
async def post_action(
    call_id: CallId, body: ActionIn, caller: Operator, incall: InCallDep
) -> ActionQueued:
    """Fill a field or press a button on the kiosk's screen (only while control is granted)."""
    await incall.gate.operator(call_id, caller)
    value = body.value if body.type == "fill" else None
    return ActionQueued(action_id=incall.cobrowse.act(call_id, body.type, body.ref, value))


# --- the kiosk ---
@router.put(f"{KIOSK}/screen", response_model=ScreenSeq, responses=_KIOSK_ERRORS)
async def put_screen(
    call_id: CallId, body: ScreenIn, caller: DeviceCaller, incall: InCallDep
) -> ScreenSeq:
    """The kiosk's current screen (a sanitised copy; the cloud sanitises it again)."""
    await incall.gate.device(call_id, caller)
    fields: list[dict[str, Any]] = [f.model_dump() for f in body.fields]
    return ScreenSeq(seq=incall.cobrowse.put_screen(call_id, body.title, body.html, fields))


@router.get(f"{KIOSK}/actions", response_model=KioskEvents, responses=_KIOSK_ERRORS)
async def get_actions(
    call_id: CallId,
    caller: DeviceCaller,
    incall: InCallDep,
    after: Annotated[int, Query(ge=0, le=2**31)] = 0,
    wait_s: WaitS = 0,
) -> KioskEvents:
    """Control changes and the operator's actions after event ``after``, in order."""
    await incall.gate.device(call_id, caller)
    got = await incall.cobrowse.events(call_id, after, wait_s)
    if wait_s:  # the call may have ended while waiting: the kiosk hears 409 and stops
        await incall.gate.device(call_id, caller)
    return KioskEvents.model_validate(got)


@router.post(f"{KIOSK}/control", response_model=ControlOut, responses=_CONTROL_ERRORS)
async def answer_control(
    call_id: CallId, body: ControlAnswer, caller: DeviceCaller, incall: InCallDep
) -> ControlOut:
    """The citizen's answer: 同意 (granted), 拒绝 (declined), 收回控制 (revoked)."""
    await incall.gate.device(call_id, caller)
    return ControlOut(control=incall.cobrowse.answer(call_id, body.state).control)
