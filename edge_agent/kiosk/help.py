"""Video help (视频帮办) on the kiosk: the agent's routes under ``/kiosk/api/help/...``.

The browser never talks to the cloud and holds no credential: a call is made, watched and
cancelled through the cloud's kiosk help API with the device's own credentials (relayed as
the other features are), and the operator's picture comes through a WHEP proxy here. The
cloud gives the kiosk a *view token* for the operator's stream once the call is active; the
agent keeps it (the browser is told only that there is a picture to fetch) and signs the
browser's SDP offer with it, so the browser's media still goes peer to peer with the cloud's
relay while the signalling passes through the agent.

The hardware call button: its driver counts every press (``presses``); the screen long-polls
``GET /kiosk/api/help/button?after=<count>`` and opens the help screen on a press while no
call is running (the agent looks at the count a few times a second while a poll waits).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from edge_agent.drivers.interface import counters_of
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, UNREACHABLE_EN, UNREACHABLE_ZH, error, relay

log = logging.getLogger(__name__)

#: ``hc-`` + 24 hex (``cloud.help.ref.CALL_ID_PATTERN``; the agent does not import the cloud)
CALL_ID = re.compile(r"^hc-[0-9a-f]{24}$")
REQUEST_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
SCREEN = re.compile(r"^[a-z0-9_-]{1,40}$")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
#: the cloud's long-poll holds at most 25 s; the agent waits a little longer for its answer
WAIT_MAX_S = 25
#: an SDP offer is a few kB; anything much larger is not one
SDP_MAX_BYTES = 64_000
WHEP_TIMEOUT_S = 10.0
#: how often a waiting button poll looks at the press count
BUTTON_LOOK_S = 0.2
ENDED = ("ended", "missed", "cancelled")


@dataclass
class HelpDesk:
    """What the agent remembers of help calls (no personal data: ids and tokens only)."""

    #: call id → the cloud's view token for the operator's stream (never sent to the browser)
    view_tokens: dict[str, str] = field(default_factory=dict)
    #: the call this kiosk made last, while it runs
    active_call: str | None = None


def desk_of(parts: KioskParts) -> HelpDesk:
    desk = parts.state.get("help")
    if not isinstance(desk, HelpDesk):
        desk = parts.state["help"] = HelpDesk()
    return desk


def _buttons(parts: KioskParts) -> list[object]:
    return [p for p in parts.view.peripherals.values() if p.kind == "call_button"]


def presses(parts: KioskParts) -> int:
    """How many times this kiosk's call buttons were pressed since the agent started."""
    return sum(counters_of(p).get("presses", 0) for p in _buttons(parts))


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _wait_s(request: Request) -> int:
    raw = request.query_params.get("wait_s", "0")
    return min(WAIT_MAX_S, max(0, int(raw))) if raw.isdigit() else 0


def _no_call() -> Response:
    return error(404, "call_not_found", "没有找到这次视频帮办。", "This help call was not found.")


def _call_payload(body: dict[str, Any]) -> dict[str, Any] | Response:
    """What the cloud is asked to make a call, or the answer that stops here."""
    request_id, lang = body.get("request_id"), body.get("lang", "zh-CN")
    screen, source = body.get("screen", "home"), body.get("source", "tile")
    if not isinstance(request_id, str) or not REQUEST_ID.match(request_id):
        return error(
            422,
            "request_id_invalid",
            "请求编号不正确，请返回首页后重试。",
            "The request id is not valid (1 to 64 letters, digits or _.:-); go home and retry.",
        )
    if lang not in ("zh-CN", "en") or source not in ("tile", "button"):
        return error(
            422,
            "call_invalid",
            "呼叫参数不正确，请返回首页后重试。",
            "lang must be zh-CN or en and source tile or button; go home and retry.",
        )
    screen = screen if isinstance(screen, str) and SCREEN.match(screen) else "home"
    return {"request_id": request_id, "lang": lang, "screen": screen, "source": source}


def _kiosk_view(desk: HelpDesk, call_id: str, answer: dict[str, Any]) -> dict[str, Any]:
    """The cloud's call as the browser may see it: the view token stays here."""
    token = answer.pop("operator_view_token", None)
    if isinstance(token, str) and token:
        desk.view_tokens[call_id] = token
    answer["operator_video"] = call_id in desk.view_tokens and answer.get("state") == "active"
    if answer.get("state") in ENDED:
        desk.view_tokens.pop(call_id, None)
        if desk.active_call == call_id:
            desk.active_call = None
    return answer


async def _relayed_call(
    parts: KioskParts, call_id: str, method: str, path: str, **kw: Any
) -> Response:
    """Relay one call-shaped answer, keeping the view token back."""
    answer = await relay(parts, method, path, **kw)
    kind = (answer.media_type or "").split(";")[0].strip()
    if answer.status_code >= 300 or kind != "application/json":
        return answer
    data = json.loads(bytes(answer.body))
    if not isinstance(data, dict):
        return answer
    view = _kiosk_view(desk_of(parts), call_id, data)
    return JSONResponse(view, status_code=answer.status_code, headers=NO_STORE)


def _whep_url(parts: KioskParts, call_id: str) -> str:
    return f"{parts.cloud.cloud_url}/api/v1/media/streams/call-{call_id}-op/whep"


async def _to_cloud(
    method: str, url: str, token: str, offer: bytes | None = None
) -> httpx.Response:
    """One WHEP request with the view token (a client per request: a call makes two)."""
    headers = {"Authorization": f"Bearer {token}"}
    if offer is not None:
        headers["Content-Type"] = "application/sdp"
    async with httpx.AsyncClient(timeout=WHEP_TIMEOUT_S, trust_env=False) as client:
        return await client.request(method, url, content=offer, headers=headers)


def _media_unreachable(why: str) -> Response:
    log.warning("kiosk help: the operator's picture: %s", why)
    return error(503, "cloud_unreachable", UNREACHABLE_ZH, UNREACHABLE_EN)


async def _whep_offer(parts: KioskParts, call_id: str, request: Request) -> Response:
    """The browser's SDP offer for the operator's picture → the cloud's answer."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/sdp":
        return error(415, "sdp_expected", "请求格式不正确。", "Send the offer as application/sdp.")
    offer = await request.body()
    if not offer or len(offer) > SDP_MAX_BYTES:
        return error(422, "sdp_invalid", "视频请求不正确。", "The SDP offer is empty or too big.")
    token = desk_of(parts).view_tokens.get(call_id)
    if token is None or parts.cloud.cloud_url is None:
        return error(
            409,
            "no_operator_video",
            "工作人员的画面还没有接通，请稍候。",
            "The staff member's picture is not available yet; please wait.",
        )
    try:
        r = await _to_cloud("POST", _whep_url(parts, call_id), token, offer)
    except httpx.HTTPError as err:
        return _media_unreachable(type(err).__name__)
    if r.status_code != 201:
        log.warning("kiosk help: WHEP for %s answered %s", call_id, r.status_code)
        return Response(
            r.content, status_code=r.status_code, media_type=r.headers.get("content-type")
        )
    session = r.headers.get("location", "").rsplit("/", 1)[-1]
    here = f"/kiosk/api/help/calls/{call_id}/whep/{session}"
    out = {"Location": here, **NO_STORE}
    return Response(r.content, status_code=201, media_type="application/sdp", headers=out)


async def _whep_leave(parts: KioskParts, call_id: str, session: str) -> Response:
    token = desk_of(parts).view_tokens.get(call_id)
    if token is None or parts.cloud.cloud_url is None:
        return Response(status_code=204)  # the call is over: so is its picture
    url = f"{_whep_url(parts, call_id)}/{session}"
    try:
        r = await _to_cloud("DELETE", url, token)
    except httpx.HTTPError as err:
        return _media_unreachable(type(err).__name__)
    return Response(status_code=204 if r.status_code in (204, 404) else r.status_code)


async def _button(parts: KioskParts, request: Request) -> Response:
    """Long-poll: returns once the press count passes ``after`` (or after ``wait_s``)."""
    raw = request.query_params.get("after", "")
    now = presses(parts)
    if not _buttons(parts):
        return JSONResponse({"presses": 0, "buttons": 0, "active_call": None}, headers=NO_STORE)
    after = int(raw) if raw.isdigit() else now
    deadline = asyncio.get_running_loop().time() + _wait_s(request)
    while now <= after and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(BUTTON_LOOK_S)  # the driver's counter has no waiter to await
        now = presses(parts)
    body = {
        "presses": now,
        "buttons": len(_buttons(parts)),  # none: the screen stops asking
        "active_call": desk_of(parts).active_call,
    }
    return JSONResponse(body, headers=NO_STORE)


def routes(parts: KioskParts) -> list[BaseRoute]:
    desk = desk_of(parts)

    def call_id_of(request: Request) -> str | None:
        call_id = request.path_params["call_id"]
        return call_id if CALL_ID.match(call_id) else None

    async def create(request: Request) -> Response:
        payload = _call_payload(await _json(request))
        if isinstance(payload, Response):
            return payload
        answer = await relay(parts, "POST", "/api/v1/kiosk/help/calls", json=payload)
        if answer.status_code in (200, 201):
            data = json.loads(bytes(answer.body))
            desk.active_call = data.get("call_id") if isinstance(data, dict) else None
            if desk.active_call:
                data = _kiosk_view(desk, desk.active_call, data)
            return JSONResponse(data, status_code=answer.status_code, headers=NO_STORE)
        return answer

    async def show(request: Request) -> Response:
        call_id = call_id_of(request)
        if call_id is None:
            return _no_call()
        wait = _wait_s(request)
        path = f"/api/v1/kiosk/help/calls/{call_id}"
        params = {"wait_s": wait}
        return await _relayed_call(parts, call_id, "GET", path, params=params, timeout_s=wait + 10)

    async def cancel(request: Request) -> Response:
        call_id = call_id_of(request)
        if call_id is None:
            return _no_call()
        path = f"/api/v1/kiosk/help/calls/{call_id}/cancel"
        return await _relayed_call(parts, call_id, "POST", path, json={})

    async def whep(request: Request) -> Response:
        call_id = call_id_of(request)
        return _no_call() if call_id is None else await _whep_offer(parts, call_id, request)

    async def whep_leave(request: Request) -> Response:
        call_id, session = call_id_of(request), request.path_params["session_id"]
        if call_id is None or not SESSION_ID.match(session):
            return _no_call()
        return await _whep_leave(parts, call_id, session)

    async def button(request: Request) -> Response:
        return await _button(parts, request)

    base = "/kiosk/api/help/calls"
    return [
        Route(base, create, methods=["POST"]),
        Route(base + "/{call_id}", show, methods=["GET"]),
        Route(base + "/{call_id}/cancel", cancel, methods=["POST"]),
        Route(base + "/{call_id}/whep", whep, methods=["POST"]),
        Route(base + "/{call_id}/whep/{session_id}", whep_leave, methods=["DELETE"]),
        Route("/kiosk/api/help/button", button, methods=["GET"]),
    ]
