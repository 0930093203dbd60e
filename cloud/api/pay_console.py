"""Orders and refunds in the console (page ``/payments``): ``GET /api/v1/pay/orders`` (filter
by state, channel, utility, site subtree; newest first), ``GET /api/v1/pay/orders/{id}`` (its
notifications and refunds), ``POST /api/v1/pay/orders/{id}/refunds`` (``payments.refund``,
audited). Reading needs ``hall.read`` and sees the caller's subtree only; accounts are masked."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from cloud import audit
from cloud.api.auth_deps import require
from cloud.api.deps import SessionsDep
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.kiosk_pay import OrderOut, order_out
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.kiosk.errors import KioskError
from cloud.kiosk.parts import Kiosk
from cloud.kiosk.pay.orders_admin import OrderAdmin, OrderFilter
from cloud.kiosk.pay.orders_errors import OrderNotFound
from cloud.kiosk.pay.orders_tables import PayNotification, PayOrder, PayRefund
from cloud.schemas import NumberOnly, _In
from fleet.access import Permission
from protocols.guide import PLAIN

router = APIRouter(tags=["payments"], route_class=StrictJsonRoute)
Reader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
Refunder = Annotated[Principal, Depends(require(Permission.PAYMENTS_REFUND))]
OrderId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_WHO = {
    401: "no credentials, or expired ones",
    403: "permission_denied: the role lacks the permission named",
}
_LIST_ERRORS = described(400, 422, 500, said=_WHO)
_ORDER_ERRORS = described(400, 422, 500, said={**_WHO, 404: "order_not_found (or not in scope)"})
_REFUND_ERRORS = described(
    400,
    413,
    500,
    said={
        **_WHO,
        404: "order_not_found (or not in scope)",
        409: "order_state: only a paid order is refunded",
        422: "refund_too_large, channel_not_offered (its channel is no longer configured), or "
        "an invalid body",
        502: "payment_channel_error: the channel refused or failed; nothing was refunded",
    },
)


class OrderPage(BaseModel):
    orders: list[OrderOut]
    total: int


class NotificationOut(BaseModel):
    at: datetime
    notify_id: str
    outcome: str
    source_ip: str


class RefundOut(BaseModel):
    id: str
    out_refund_no: str
    amount_fen: int
    reason: str
    actor: str
    state: str
    at: datetime
    refunded_at: datetime | None


class OrderDetail(OrderOut):
    site: str
    device_id: str
    trade_no: str
    paid_amount_fen: int
    refunded_fen: int
    #: the company's write-back: pending, done, failed, held (an operator decides)
    writeback: str
    closed_at: datetime | None
    notifications: list[NotificationOut]
    refunds: list[RefundOut]


class RefundIn(_In):
    amount_fen: Annotated[int, Field(ge=1, le=100_000_000), NumberOnly]
    reason: Annotated[str, Field(min_length=1, max_length=200, pattern=PLAIN)]


def _admin(kiosk: Kiosk) -> OrderAdmin:
    if kiosk.payments is None:
        raise OrderNotFound("-")
    return kiosk.payments.admin


def _refund_out(r: PayRefund) -> RefundOut:
    return RefundOut(
        id=r.id,
        out_refund_no=r.out_refund_no,
        amount_fen=r.amount_fen,
        reason=r.reason,
        actor=r.actor,
        state=r.state,
        at=r.at,
        refunded_at=r.refunded_at,
    )


def _note_out(n: PayNotification) -> NotificationOut:
    return NotificationOut(at=n.at, notify_id=n.notify_id, outcome=n.outcome, source_ip=n.source_ip)


async def _visible(admin: OrderAdmin, order_id: str, caller: Principal) -> PayOrder:
    row = await admin.orders.require(order_id)
    if not caller.sees(row.site):
        raise OrderNotFound(order_id)
    return row


async def _detail(admin: OrderAdmin, row: PayOrder) -> OrderDetail:
    notes = await admin.notifications(row.out_trade_no)
    refunds = await admin.refunds(row.id)
    return OrderDetail(
        **order_out(row).model_dump(),
        site=row.site,
        device_id=row.device_id,
        trade_no=row.trade_no,
        paid_amount_fen=row.paid_amount_fen,
        refunded_fen=row.refunded_fen,
        writeback=row.writeback,
        closed_at=row.closed_at,
        notifications=[_note_out(n) for n in notes],
        refunds=[_refund_out(r) for r in refunds],
    )


@router.get("/api/v1/pay/orders", response_model=OrderPage, responses=_LIST_ERRORS)
async def list_orders(
    caller: Reader,
    kiosk: KioskParts,
    state: Annotated[Literal["", "waiting", "paid", "closed", "refunded"], Query()] = "",
    channel: Annotated[str, Query(pattern=r"^[a-z]{0,16}$")] = "",
    utility: Annotated[Literal["", "water", "power", "gas", "landline"], Query()] = "",
    site: Annotated[str, Query(max_length=200, pattern=r"^[a-z0-9_/-]*$")] = "",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> OrderPage:
    """Newest first; ``site`` narrows to a subtree inside the caller's scope."""
    scope = caller.scope or ""
    if site and not caller.sees(site):
        return OrderPage(orders=[], total=0)
    where = OrderFilter(state, channel, utility, site or scope, limit, offset)
    rows, total = await _admin(kiosk).page(where)
    return OrderPage(orders=[order_out(r) for r in rows], total=total)


@router.get("/api/v1/pay/orders/{order_id}", response_model=OrderDetail, responses=_ORDER_ERRORS)
async def get_order(order_id: OrderId, caller: Reader, kiosk: KioskParts) -> OrderDetail:
    """One order with its notifications (outcome, source) and refunds."""
    admin = _admin(kiosk)
    return await _detail(admin, await _visible(admin, order_id, caller))


@router.post(
    "/api/v1/pay/orders/{order_id}/refunds",
    status_code=201,
    response_model=OrderDetail,
    responses=_REFUND_ERRORS,
)
async def refund_order(
    order_id: OrderId, body: RefundIn, caller: Refunder, kiosk: KioskParts, sessions: SessionsDep
) -> OrderDetail:
    """Refund (part of) a paid order at its channel; audited either way."""
    admin = _admin(kiosk)
    row = await _visible(admin, order_id, caller)
    record = audit.AuditRecord(
        actor=caller.actor,
        action="payment.refund",
        result=audit.Result.OK,
        target=f"order:{row.id}",
        site=row.site,
        detail={"amount_fen": body.amount_fen},
    )
    try:
        await admin.refund(row.id, body.amount_fen, body.reason, caller.actor)
    except KioskError as err:
        failed = replace(record, result=audit.Result.FAILED, message=str(err)[:200])
        await audit.write(sessions, failed)
        raise
    await audit.write(sessions, record)
    return await _detail(admin, await admin.orders.require(row.id))
