"""WHIP and WHEP (RFC 9725 and its viewer twin) under ``/api/v1/media/streams``.

A publisher (a device's camera, an operator's browser) ``POST``s its SDP offer with a publish
token and gets the answer and its session's ``Location``; a viewer does the same on ``whep``
with a person's credentials (``media.view``, the stream's site in scope) or a view token; each
``DELETE``s its ``Location`` to leave. Bodies are ``application/sdp``, not JSON; candidates
are in the offer (no trickle ICE: ``PATCH`` is not offered).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from cloud import audit
from cloud.api.auth_deps import _caller, bearer_scheme, client_ip, ensure
from cloud.api.deps import SessionsDep, SettingsDep
from cloud.api.enrollment import described
from cloud.errors import CloudError, Forbidden, NotFound, Unauthenticated, Unprocessable
from cloud.media.backend import MediaError, StreamInfo
from cloud.media.service import MediaService
from cloud.media.tokens import is_media_token
from cloud.wiring import Parts
from fleet.access import Permission
from protocols.av import STREAM_ID_PATTERN

router = APIRouter(tags=["media"])

#: the longest SDP offer read (a browser's offer with many candidates is a few KiB)
SDP_MAX_CHARS = 65_536
SESSION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
StreamId = Annotated[str, Path(pattern=STREAM_ID_PATTERN, description="a stream id (mon-…)")]
SessionId = Annotated[str, Path(pattern=SESSION_ID_PATTERN, description="a WHIP/WHEP session")]
Bearer = Annotated[object, Depends(bearer_scheme)]

_SDP_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the client's SDP offer (all ICE candidates gathered)",
        "content": {"application/sdp": {"schema": {"type": "string", "maxLength": SDP_MAX_CHARS}}},
    }
}
_ANSWER: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "the SDP answer; ``Location`` names the session to DELETE",
        "content": {"application/sdp": {"schema": {"type": "string"}}},
        "headers": {"Location": {"schema": {"type": "string"}}},
    }
}
_PUBLISH_AUTH = {
    401: "no_credentials, bad_media_token (forged, damaged, not a publish token) or token_expired",
    403: "publish_token_required (a person's token cannot publish) or wrong_stream",
}
_VIEW_AUTH = {
    401: "no_credentials, bad_media_token or token_expired (a view token), or a person's "
    "credentials that are wrong or expired",
    403: "permission_denied (no media.view) or wrong_stream (a view token of another stream)",
}
_OFFER = {
    415: "the body is not application/sdp",
    422: "bad_offer: not an SDP offer, no video, or no codec shared (VP8 video, Opus audio)",
    503: "media_unavailable: the media backend is down or stopping; retry",
}
WHIP_ERRORS = described(
    400, 413, 500, said={**_PUBLISH_AUTH, **_OFFER, 409: "the relay refused the session"}
)
WHEP_ERRORS = described(
    400,
    413,
    500,
    said={
        **_VIEW_AUTH,
        **_OFFER,
        404: "stream_not_live: nobody publishes the stream now (or it is outside your scope)",
        409: "too_many_viewers: the stream has as many viewers as allowed",
    },
)
_LEAVE = {404: "session_not_found: already ended"}


class MediaRefused(CloudError):
    """A :class:`~cloud.media.backend.MediaError` as the API answers it."""

    def __init__(self, err: MediaError) -> None:
        super().__init__(str(err))
        self.status_code = err.status
        self.code = err.code


class NotSdp(CloudError):
    status_code = 415
    code = "unsupported_media_type"


class NotAnOffer(Unprocessable):
    code = "bad_offer"


class StreamHidden(NotFound):
    """A stream outside the caller's scope is answered like one nobody publishes."""

    code = "stream_not_live"


@contextmanager
def media_errors() -> Iterator[None]:
    try:
        yield
    except MediaError as err:
        raise MediaRefused(err) from None


def _media(request: Request) -> MediaService:
    parts: Parts = request.app.state.parts
    return parts.media


def _bearer_token(request: Request) -> str | None:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


async def _offer(request: Request) -> str:
    """The SDP offer in the body; 415 for another content type, 422 for one that is not SDP."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/sdp":
        raise NotSdp(
            f"the offer must be sent as Content-Type: application/sdp, not {kind or 'nothing'}"
        )
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise NotAnOffer("the SDP offer is not UTF-8 text") from None
    if len(text) > SDP_MAX_CHARS or not text.startswith("v=0") or "\nm=" not in text:
        raise NotAnOffer(
            "this is not an SDP offer the relay can use: it must start with v=0 and hold an "
            "m= line (at most 64 KiB)"
        )
    return text


def _publish_grant(request: Request, stream_id: str, media: MediaService) -> None:
    token = _bearer_token(request)
    if token is None:
        raise Unauthenticated(
            "WHIP needs 'Authorization: Bearer <publish token>' (a device gets one in its "
            "stream_start call, an operator's browser from the help API)",
            "no_credentials",
        )
    if not is_media_token(token):
        raise Forbidden(
            "only a publish token of the media relay may publish; a person's or device's "
            "credentials may not",
            "publish_token_required",
        )
    media.tokens.check_publish(token, stream_id)


def _location(stream_id: str, kind: str, session_id: str) -> str:
    return f"/api/v1/media/streams/{stream_id}/{kind}/{session_id}"


def _answer(stream_id: str, kind: str, session_id: str, sdp: str) -> Response:
    return Response(
        sdp,
        201,
        headers={"Location": _location(stream_id, kind, session_id)},
        media_type="application/sdp",
    )


@router.post(
    "/api/v1/media/streams/{stream_id}/whip",
    status_code=201,
    response_class=Response,
    responses={**_ANSWER, **WHIP_ERRORS},
    openapi_extra=_SDP_BODY,
)
async def whip_publish(request: Request, stream_id: StreamId, _bearer: Bearer = None) -> Response:
    """Publish a stream (WHIP): the offer in, the answer out; a new session of a live stream
    replaces the old one (a device that reconnects)."""
    media = _media(request)
    _publish_grant(request, stream_id, media)
    offer = await _offer(request)
    info = await media.info_for(stream_id)
    with media_errors():
        session = await media.backend.publish(info, offer)
    return _answer(stream_id, "whip", session.session_id, session.answer_sdp)


@router.delete(
    "/api/v1/media/streams/{stream_id}/whip/{session_id}",
    status_code=204,
    response_class=Response,
    responses=described(
        500, said={**_PUBLISH_AUTH, **_LEAVE, 422: "a malformed stream or session id"}
    ),
)
async def whip_leave(
    request: Request, stream_id: StreamId, session_id: SessionId, _bearer: Bearer = None
) -> Response:
    """End a publisher's session (the stream ends after ``media_publisher_grace_s`` unless
    its publisher comes back)."""
    media = _media(request)
    _publish_grant(request, stream_id, media)
    with media_errors():
        await media.backend.leave(stream_id, session_id)
    return Response(status_code=204)


async def _viewer(
    request: Request, stream_id: str, sessions: SessionsDep, settings: SettingsDep
) -> tuple[str, StreamInfo]:
    """Who views (for logs) and the stream, if the caller may view it: a view token for this
    stream, or a person with ``media.view`` whose scope holds the stream's site."""
    media = _media(request)
    token = _bearer_token(request)
    if token is not None and is_media_token(token):
        grant = media.tokens.check_view(token, stream_id)
        return f"view-token:{grant.viewer}", await media.info_for(stream_id)
    caller = await _caller(request, sessions, settings)
    await ensure(caller, Permission.MEDIA_VIEW, sessions, request)
    info = await media.info_for(stream_id)
    if not caller.sees(info.site_path):
        raise StreamHidden(f"nobody publishes stream {stream_id} now (or you may not view it)")
    return caller.actor, info


@router.post(
    "/api/v1/media/streams/{stream_id}/whep",
    status_code=201,
    response_class=Response,
    responses={**_ANSWER, **WHEP_ERRORS},
    openapi_extra=_SDP_BODY,
)
async def whep_view(
    request: Request,
    stream_id: StreamId,
    sessions: SessionsDep,
    settings: SettingsDep,
    _bearer: Bearer = None,
) -> Response:
    """Watch a live stream (WHEP): the viewer's offer in, the answer out."""
    who, _info = await _viewer(request, stream_id, sessions, settings)
    media = _media(request)
    if not any(h.info.stream_id == stream_id for h in media.health()):
        raise StreamHidden(f"nobody publishes stream {stream_id} now: try again when it is live")
    offer = await _offer(request)
    with media_errors():
        session = await media.backend.view(stream_id, offer, who)
    await audit.write(
        sessions,
        audit.AuditRecord(
            actor=who,
            action="media.view",
            result=audit.Result.OK,
            target=stream_id,
            site=_info.site_path,
            ip=client_ip(request),
        ),
    )
    return _answer(stream_id, "whep", session.session_id, session.answer_sdp)


@router.delete(
    "/api/v1/media/streams/{stream_id}/whep/{session_id}",
    status_code=204,
    response_class=Response,
    responses=described(
        500, said={**_VIEW_AUTH, **_LEAVE, 422: "a malformed stream or session id"}
    ),
)
async def whep_leave(
    request: Request,
    stream_id: StreamId,
    session_id: SessionId,
    sessions: SessionsDep,
    settings: SettingsDep,
    _bearer: Bearer = None,
) -> Response:
    """Stop watching (the relay also ends viewers that vanish without this)."""
    await _viewer(request, stream_id, sessions, settings)
    with media_errors():
        await _media(request).backend.leave(stream_id, session_id)
    return Response(status_code=204)
