"""The payment gateways' asynchronous notifications: ``POST /api/v1/pay/notify/{channel}``.

Public, as every gateway's notify URL is: the channel's signature check
(:meth:`~cloud.kiosk.pay.channel.PaymentChannel.verify_notify`) is the only authority. A forged
notification is refused (400 ``notification_forged``) and logged with its source; a verified
one is applied to its order once however often or late it comes (``cloud.kiosk.pay.orders_apply``)
and answered as the gateway expects (Alipay: ``success``), also for an order we do not have
(logged), so the gateway stops repeating it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from cloud.api.auth_deps import client_ip
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.kiosk_pay import payments
from cloud.errors import NotFound
from cloud.kiosk.pay.channel import ForgedNotification
from cloud.kiosk.pay.orders_apply import handle_notify

router = APIRouter(tags=["kiosk payments"])
_BODY_LIMIT = 64 * 1024

_NOTIFY_ERRORS = described(
    413,
    500,
    said={
        400: "notification_forged: the signature does not verify, or it is not a notification",
        404: "no such channel configured here",
        422: "an invalid channel name",
    },
)


@router.post(
    "/api/v1/pay/notify/{channel}",
    responses={
        200: {
            "description": "accepted: the gateway's own acknowledgement (Alipay: 'success')",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        },
        **_NOTIFY_ERRORS,
    },
    response_class=Response,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                "application/json": {"schema": {"type": "object"}},
            }
        }
    },
)
async def notify(
    channel: Annotated[str, Path(pattern=r"^[a-z]{2,16}$")],
    request: Request,
    kiosk: KioskParts,
) -> Response:
    """A gateway's notification, verified by its channel, applied once."""
    orders = payments(kiosk)
    if channel not in orders.channels:
        raise NotFound(f"no payment channel {channel!r} is configured here")
    body = await request.body()
    if len(body) > _BODY_LIMIT:
        raise ForgedNotification(channel, f"a body of {len(body)} bytes")
    status, media, reply = await handle_notify(
        orders,
        channel,
        body,
        request.headers.get("content-type", ""),
        dict(request.headers),
        client_ip(request),
    )
    return Response(reply, status_code=status, media_type=media)
