"""A STAND-IN of the help-desk API and the media routes (issue 16's contract, HELPERS16.md), for
the call centre's and the kiosk's browser tests while the real ones (helpdesk's
``cloud/api/help_calls.py`` + ``kiosk_help.py``, relay's ``cloud/api/media.py``) are built in
parallel. Mounted on a real cloud app (real console pages, logins and permissions), it keeps
calls in memory and relays media with aiortc (decode + re-encode, loopback only). The kiosk's
own camera stream, which the real help desk starts on the device (``stream_start``), is
published here by a synthetic aiortc track when a call is accepted.

Not for production; the lead reruns the browser tests against the real routes after merging.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Annotated, Any

import av
import numpy as np
from aiortc import MediaStreamTrack, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import AudioStreamTrack
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from cloud.api.auth_deps import require
from cloud.auth.principal import Principal
from fleet.access import Permission

Operator = Annotated[Principal, Depends(require(Permission.HELP_ANSWER))]
LIVE = ("waiting", "ringing", "active")
MISSED_ZH = "暂时没有工作人员接听。请到大厅咨询台或窗口寻求帮助，或稍后再试。"
MISSED_EN = "No staff member could answer now. Please ask at the information desk or a window."


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class Call:
    call_id: str
    device_id: str
    screen: str
    source: str
    site_path: str = "qh/hx/golmud/hhl"
    site_name: str = "花海路便民服务站"
    state: str = "ringing"
    created_at: str = field(default_factory=_now)
    answered_at: str | None = None
    ended_at: str | None = None
    operator: str | None = None
    operator_name: str | None = None
    outcome: str | None = None
    ended_reason: str | None = None
    view_token: str | None = None
    publish_token: str | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def out(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "state": self.state,
            "device_id": self.device_id,
            "site_path": self.site_path,
            "site_name": self.site_name,
            "screen": self.screen,
            "created_at": self.created_at,
            "answered_at": self.answered_at,
            "ended_at": self.ended_at,
            "operator": self.operator,
            "operator_name": self.operator_name,
            "position": 1 if self.state in ("waiting", "ringing") else 0,
            "kiosk_stream_id": f"call-{self.call_id}-kiosk",
            "operator_stream_id": f"call-{self.call_id}-op",
            "outcome": self.outcome,
            "ended_reason": self.ended_reason,
        }

    def kiosk_out(self, recording: bool = False) -> dict[str, Any]:
        body = {k: self.out()[k] for k in ("call_id", "state", "position", "operator_name")}
        body["recording"] = recording
        if self.state == "active" and self.view_token:
            body["operator_view_token"] = self.view_token
        if self.state == "missed":
            body |= {"citizen_message": MISSED_ZH, "citizen_message_en": MISSED_EN}
        return body


class Bars(VideoStreamTrack):
    """The kiosk's camera: 320×240 with a moving bar, so each frame differs."""

    def __init__(self) -> None:
        super().__init__()
        self.n = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        img = np.full((240, 320, 3), 40, np.uint8)
        x = (self.n * 4) % 320
        img[:, x : x + 16] = 230
        self.n += 1
        frame = av.VideoFrame.from_ndarray(img, format="rgb24")
        frame.pts, frame.time_base = pts, Fraction(time_base)
        return frame


@dataclass
class Media:
    """Streams by id: their source tracks (a WHIP publisher's, or synthetic), fanned out."""

    relay: MediaRelay = field(default_factory=MediaRelay)
    sources: dict[str, list[MediaStreamTrack]] = field(default_factory=dict)
    pcs: dict[str, RTCPeerConnection] = field(default_factory=dict)
    viewers: dict[str, int] = field(default_factory=dict)

    async def answer(self, pc: RTCPeerConnection, offer: str) -> str:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def whip(self, stream_id: str, offer: str) -> tuple[str, str]:
        pc = RTCPeerConnection()
        tracks = self.sources.setdefault(stream_id, [])
        pc.on("track", tracks.append)
        session = secrets.token_hex(8)
        self.pcs[session] = pc
        return session, await self.answer(pc, offer)

    async def whep(self, stream_id: str, offer: str) -> tuple[str, str]:
        tracks = self.sources.get(stream_id)
        if not tracks:
            raise HTTPException(404, f"stream {stream_id} is not live")
        pc = RTCPeerConnection()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        for track in tracks:
            pc.addTrack(self.relay.subscribe(track))
        await pc.setLocalDescription(await pc.createAnswer())
        session = secrets.token_hex(8)
        self.pcs[session] = pc
        self.viewers[stream_id] = self.viewers.get(stream_id, 0) + 1
        return session, pc.localDescription.sdp

    async def leave(self, session: str) -> None:
        pc = self.pcs.pop(session, None)
        if pc is not None:
            await pc.close()

    async def close(self) -> None:
        await asyncio.gather(*(pc.close() for pc in self.pcs.values()))
        for tracks in self.sources.values():
            for t in tracks:
                t.stop()


@dataclass
class StandIn:
    calls: dict[str, Call] = field(default_factory=dict)
    by_request: dict[str, str] = field(default_factory=dict)
    duty: dict[str, str] = field(default_factory=dict)  # username → display name
    media: Media = field(default_factory=Media)
    watchers: list[asyncio.Queue[dict[str, Any]]] = field(default_factory=list)
    #: calls are recorded (the help desk's setting): the kiosk must say so
    recording: bool = False
    #: the kiosk's long-poll holds at most this long (a test shortens it)
    max_wait_s: int = 25

    def change(self, call: Call) -> None:
        call.changed.set()
        call.changed = asyncio.Event()
        for q in self.watchers:
            q.put_nowait(call.out())

    def end(self, call: Call, state: str, reason: str | None = None) -> None:
        call.state, call.ended_at, call.ended_reason = state, _now(), reason
        for sid in (f"call-{call.call_id}-kiosk", f"call-{call.call_id}-op"):
            for t in self.media.sources.pop(sid, []):
                t.stop()
        self.change(call)


def _call(standin: StandIn, call_id: str) -> Call:
    call = standin.calls.get(call_id)
    if call is None:
        raise HTTPException(404, "no such call")
    return call


def _operator_routes(s: StandIn, router: APIRouter) -> None:
    @router.put("/api/v1/help/duty")
    async def put_duty(body: dict[str, Any], me: Operator) -> dict[str, Any]:
        if body.get("on_duty"):
            s.duty[me.name] = me.name
        else:
            s.duty.pop(me.name, None)
        return {"username": me.name, "on_duty": me.name in s.duty}

    @router.get("/api/v1/help/duty")
    async def get_duty(me: Operator) -> list[dict[str, Any]]:
        return [{"username": u, "display_name": n} for u, n in s.duty.items()]

    @router.get("/api/v1/help/calls")
    async def list_calls(me: Operator, state: str | None = None, limit: int = 100) -> Any:
        calls = [c.out() for c in s.calls.values() if state in (None, c.state)]
        return sorted(calls, key=lambda c: c["created_at"], reverse=True)[:limit]

    @router.post("/api/v1/help/calls/{call_id}/accept")
    async def accept(call_id: str, me: Operator) -> Any:
        call = _call(s, call_id)
        if call.state not in ("waiting", "ringing"):
            return JSONResponse({"code": "call_taken", "message": "taken"}, status_code=409)
        call.state, call.answered_at = "active", _now()
        call.operator = call.operator_name = me.name
        call.view_token, call.publish_token = secrets.token_hex(16), secrets.token_hex(16)
        s.media.sources[f"call-{call_id}-kiosk"] = [Bars(), AudioStreamTrack()]
        s.change(call)
        return call.out() | {"operator_publish_token": call.publish_token}

    @router.post("/api/v1/help/calls/{call_id}/end")
    async def end(call_id: str, body: dict[str, Any], me: Operator) -> Any:
        call = _call(s, call_id)
        call.outcome = str(body.get("outcome"))
        s.end(call, "ended", "工作人员已结束通话")
        return call.out()

    @router.get("/api/v1/help/events")
    async def events(me: Operator) -> StreamingResponse:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        s.watchers.append(queue)

        async def stream() -> AsyncIterator[str]:
            try:
                yield ": ok\n\n"
                while True:
                    yield f"event: call\ndata: {json.dumps(await queue.get())}\n\n"
            finally:
                s.watchers.remove(queue)

        return StreamingResponse(stream(), media_type="text/event-stream")


def _kiosk_routes(s: StandIn, router: APIRouter, device_id: str) -> None:
    @router.post("/api/v1/kiosk/help/calls", status_code=201)
    async def create(body: dict[str, Any]) -> Any:
        known = s.by_request.get(body["request_id"])
        if known:
            return s.calls[known].kiosk_out(s.recording)
        call = Call("hc-" + secrets.token_hex(12), device_id, body["screen"], body["source"])
        s.calls[call.call_id] = call
        s.by_request[body["request_id"]] = call.call_id
        if not s.duty:
            s.end(call, "missed", "无人值班")
        else:
            s.change(call)
        return call.kiosk_out(s.recording)

    @router.get("/api/v1/kiosk/help/calls/{call_id}")
    async def show(call_id: str, wait_s: int = 0) -> Any:
        call = _call(s, call_id)
        if wait_s and call.state in LIVE:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(call.changed.wait(), min(wait_s, s.max_wait_s))
        return call.kiosk_out(s.recording)

    @router.post("/api/v1/kiosk/help/calls/{call_id}/cancel")
    async def cancel(call_id: str) -> Any:
        call = _call(s, call_id)
        if call.state in LIVE:
            s.end(call, "cancelled" if call.state != "active" else "ended", "市民已结束通话")
        return call.kiosk_out(s.recording)


def _media_routes(s: StandIn, router: APIRouter) -> None:
    base = "/api/v1/media/streams/{stream_id}"

    def bearer(request: Request) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    def call_of(stream_id: str) -> Call:
        return _call(s, stream_id.removeprefix("call-").rsplit("-", 1)[0])

    @router.post(base + "/whip")
    async def whip(stream_id: str, request: Request) -> Response:
        if bearer(request) != call_of(stream_id).publish_token:
            raise HTTPException(401, "bad publish token")
        session, sdp = await s.media.whip(stream_id, (await request.body()).decode())
        where = f"/api/v1/media/streams/{stream_id}/whip/{session}"
        return Response(sdp, 201, {"Location": where}, media_type="application/sdp")

    @router.post(base + "/whep")
    async def whep(stream_id: str, request: Request) -> Response:
        token = bearer(request)
        if token and token != call_of(stream_id).view_token:
            raise HTTPException(401, "bad view token")
        if not token and "kfleet_session" not in request.headers.get("cookie", ""):
            raise HTTPException(401, "no credential")
        session, sdp = await s.media.whep(stream_id, (await request.body()).decode())
        where = f"/api/v1/media/streams/{stream_id}/whep/{session}"
        return Response(sdp, 201, {"Location": where}, media_type="application/sdp")

    @router.delete(base + "/{kind}/{session}", status_code=204)
    async def leave(stream_id: str, kind: str, session: str) -> None:
        await s.media.leave(session)


def mount_standin(app: FastAPI, device_id: str) -> StandIn:
    """Add the stand-in routes to ``app`` (before it serves) and return their state."""
    s = StandIn()
    router = APIRouter()
    _operator_routes(s, router)
    _kiosk_routes(s, router, device_id)
    _media_routes(s, router)
    app.include_router(router)
    return s
