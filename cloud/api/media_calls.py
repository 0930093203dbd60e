"""The check behind the generic ``stream_start`` peripheral call route (``cloud/api/calls.py``):
a camera may only be sent to this cloud's relay, with a publish token of this cloud, by a
caller who may watch streams — never to a WHIP endpoint elsewhere."""

from __future__ import annotations

from fastapi import Request

from cloud.api.auth_deps import ensure
from cloud.auth.principal import Principal
from cloud.errors import CloudError, Forbidden
from cloud.wiring import Parts
from fleet.access import Permission
from protocols.av import StreamStartArgs


async def checked_stream_start(request: Request, caller: Principal, args: StreamStartArgs) -> None:
    parts: Parts = request.app.state.parts
    await ensure(caller, Permission.MEDIA_VIEW, parts.sessions, request)
    expected = parts.media.whip_url(args.stream_id)
    if args.whip_url != expected:
        raise Forbidden(
            f"whip_url must be this cloud's relay for the stream, {expected}: a camera is "
            "never sent to another WHIP endpoint",
            "foreign_whip_url",
        )
    try:
        parts.media.tokens.check_publish(args.token, args.stream_id)
    except CloudError:
        raise Forbidden(
            "token is not a valid, unexpired publish token of this cloud for the stream: use "
            "POST /api/v1/devices/{device_id}/streams, which makes one",
            "foreign_publish_token",
        ) from None
