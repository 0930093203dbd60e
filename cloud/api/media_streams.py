"""The streams an operator sees and starts: ``GET /api/v1/media/streams`` (live ones with their
health, and what devices said of the others), ``POST /api/v1/media/view-tokens`` (a WHEP link
for the city monitoring platform), and a device's monitoring stream started and stopped
(``/api/v1/devices/{device_id}/streams``). All need ``media.view`` and are scoped."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from cloud import audit
from cloud.api.auth_deps import client_ip, require, scope_of
from cloud.api.deps import DevicePathId, SessionsDep
from cloud.api.enrollment import described
from cloud.api.media import StreamId
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.db import devices as device_repo
from cloud.errors import NotFound
from cloud.media.backend import StreamHealth
from cloud.media.service import MediaService, StreamNote
from cloud.media.tokens import MAX_TTL_S
from cloud.schemas import NumberOnly, _In
from cloud.wiring import Parts
from fleet.access import Permission, in_scope
from protocols.av import STREAM_ID_PATTERN, monitor_stream_id

router = APIRouter(tags=["media"], route_class=StrictJsonRoute)
Viewer = Annotated[Principal, Depends(require(Permission.MEDIA_VIEW))]
_AUTH = {
    401: "no credentials, or wrong or expired ones",
    403: "permission_denied: your role lacks media.view",
}
LIST_ERRORS = described(500, said=_AUTH)
TOKEN_ERRORS = described(
    400, 413, 500, said={**_AUTH, 404: "no such stream you may view", 422: "an invalid body"}
)
DEVICE_ERRORS = described(
    400,
    413,
    500,
    503,
    said={
        **_AUTH,
        404: "no such device (or outside your scope)",
        409: "the device is offline, or announced no camera (av_camera)",
        422: "an invalid body or id",
    },
)


class StreamOut(BaseModel):
    """A stream as the console shows it: :class:`StreamHealth` flattened, plus ``reason``."""

    stream_id: str
    purpose: str
    device_id: str | None
    site_path: str
    #: live, stalled (no media for media_stall_s), starting (stream_start sent), reconnecting
    #: (the device says so), ended (recently; see reason), failed (the start call failed)
    state: str
    started_at: datetime | None
    fps: float
    bitrate_kbps: float
    packet_loss_pct: float
    last_media_at: datetime | None
    viewers: int
    has_audio: bool
    passthrough: bool
    backend: str
    #: the device's words for the last change (``camera unplugged``, ``ice failed`` ...)
    reason: str = ""


class ViewTokenIn(_In):
    stream_id: Annotated[str, Field(pattern=STREAM_ID_PATTERN)]
    ttl_s: Annotated[int, Field(ge=60, le=MAX_TTL_S), NumberOnly] = 3600
    #: who the link is for (the audit log and the relay's logs name it)
    viewer: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")]


class ViewTokenOut(BaseModel):
    token: str
    whep_url: str
    expires_at: datetime


class DeviceStreamIn(_In):
    purpose: Literal["monitor"]


class DeviceStreamOut(BaseModel):
    stream_id: str
    #: the peripheral call that carries stream_start / stream_stop (GET /api/v1/calls/{id})
    call_id: str
    #: starting or stopping
    state: str


def _media(request: Request) -> MediaService:
    parts: Parts = request.app.state.parts
    return parts.media


def _live(h: StreamHealth, backend: str, note: StreamNote | None) -> StreamOut:
    return StreamOut(
        stream_id=h.info.stream_id,
        purpose=h.info.purpose,
        device_id=h.info.device_id,
        site_path=h.info.site_path,
        state=h.state,
        started_at=h.started_at,
        fps=h.fps,
        bitrate_kbps=h.bitrate_kbps,
        packet_loss_pct=h.packet_loss_pct,
        last_media_at=h.last_media_at,
        viewers=h.viewers,
        has_audio=h.has_audio,
        passthrough=h.passthrough,
        backend=backend,
        reason=note.reason if note and h.state == "stalled" else "",
    )


def _noted(note: StreamNote, backend: str) -> StreamOut:
    info = note.info
    return StreamOut(
        stream_id=info.stream_id,
        purpose=info.purpose,
        device_id=info.device_id,
        site_path=info.site_path,
        state=note.state,
        started_at=None,
        fps=0.0,
        bitrate_kbps=0.0,
        packet_loss_pct=0.0,
        last_media_at=None,
        viewers=0,
        has_audio=False,
        passthrough=False,
        backend=backend,
        reason=note.reason,
    )


@router.get("/api/v1/media/streams", response_model=list[StreamOut], responses=LIST_ERRORS)
async def list_streams(request: Request, caller: Viewer) -> list[StreamOut]:
    """Streams in your scope: live ones with health, and the others devices told about."""
    media = _media(request)
    scope = scope_of(caller)
    notes = media.notes()
    name = media.backend.name
    out = [
        _live(h, name, notes.get(h.info.stream_id))
        for h in media.health()
        if in_scope(scope, h.info.site_path)
    ]
    live = {s.stream_id for s in out}
    out += [
        _noted(n, name)
        for sid, n in notes.items()
        if sid not in live and in_scope(scope, n.info.site_path)
    ]
    return sorted(out, key=lambda s: (s.site_path, s.stream_id))


@router.post(
    "/api/v1/media/view-tokens",
    status_code=201,
    response_model=ViewTokenOut,
    responses=TOKEN_ERRORS,
)
async def mint_view_token(
    body: ViewTokenIn, request: Request, caller: Viewer, sessions: SessionsDep
) -> ViewTokenOut:
    """A WHEP link for a player without an account (the city monitoring platform): the
    token in ``Authorization: Bearer`` lets it view this one stream until it expires."""
    media = _media(request)
    info = await media.info_for(body.stream_id)
    if not caller.sees(info.site_path):
        raise NotFound(f"there is no stream {body.stream_id} you may view")
    token = media.mint_view(body.stream_id, body.ttl_s, body.viewer)
    await audit.write(
        sessions,
        audit.AuditRecord(
            actor=caller.actor,
            action="media.view_token",
            result=audit.Result.OK,
            target=body.stream_id,
            site=info.site_path,
            ip=client_ip(request),
            message=f"for {body.viewer}, {body.ttl_s} s",
        ),
    )
    return ViewTokenOut(
        token=token,
        whep_url=media.whep_url(body.stream_id),
        expires_at=datetime.fromtimestamp(int(time.time() + body.ttl_s), UTC),
    )


async def _device_site(sessions: SessionsDep, device_id: str, caller: Principal) -> str:
    async with sessions() as s:
        device = await device_repo.get(s, device_id)
        site = await device_repo.site_path(s, device.site_id) if device else None
    if site is None or not caller.sees(site):
        raise NotFound(f"there is no device {device_id}")
    return site


@router.post(
    "/api/v1/devices/{device_id}/streams",
    status_code=202,
    response_model=DeviceStreamOut,
    responses=DEVICE_ERRORS,
)
async def start_device_stream(
    device_id: DevicePathId,
    body: DeviceStreamIn,
    request: Request,
    caller: Viewer,
    sessions: SessionsDep,
) -> DeviceStreamOut:
    """Start the device's monitoring stream (``mon-<device>``): a ``stream_start`` call to
    its camera; the stream shows in ``GET /api/v1/media/streams`` once it publishes."""
    site = await _device_site(sessions, device_id, caller)
    stream_id = monitor_stream_id(device_id)
    call_id = await _media(request).start_device_stream(
        device_id, stream_id, body.purpose, site, caller
    )
    return DeviceStreamOut(stream_id=stream_id, call_id=call_id, state="starting")


@router.delete(
    "/api/v1/devices/{device_id}/streams/{stream_id}",
    status_code=202,
    response_model=DeviceStreamOut,
    responses=DEVICE_ERRORS,
)
async def stop_device_stream(
    device_id: DevicePathId,
    stream_id: StreamId,
    request: Request,
    caller: Viewer,
    sessions: SessionsDep,
) -> DeviceStreamOut:
    """Stop one of the device's streams (a ``stream_stop`` call to its camera)."""
    await _device_site(sessions, device_id, caller)
    call_id = await _media(request).stop_device_stream(device_id, stream_id, caller)
    return DeviceStreamOut(stream_id=stream_id, call_id=call_id, state="stopping")
