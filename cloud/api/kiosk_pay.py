"""生活缴费 for kiosks (docs/kiosk-payments.md): what can be paid and how
(``GET /api/v1/kiosk/pay/options``), a bill (``POST .../bills/{utility}``), an order with its QR
(``POST .../orders``, idempotent per ``request_id``), its state (``GET .../orders/{id}``, the
kiosk polls), cancel, and the receipt (``POST .../orders/{id}/receipt``: printed again as often
as asked, never charged again). Device credentials only; a kiosk sees only its own orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from cloud.api.auth_deps import DeviceCaller
from cloud.api.enrollment import described
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.kiosk.parts import Kiosk
from cloud.kiosk.pay.bills import (
    ACCOUNT_PATTERN,
    UTILITIES,
    UTILITY_NAMES,
    Bill,
    Utility,
    UtilityNotConfigured,
)
from cloud.kiosk.pay.orders import OrderAsked, OrderService, mask_account
from cloud.kiosk.pay.orders_receipt import print_receipt
from cloud.kiosk.pay.orders_tables import PayOrder
from cloud.schemas import NumberOnly, _In
from protocols.idcard.text import mask_name

router = APIRouter(tags=["kiosk payments"], route_class=StrictJsonRoute)
OrderId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
_DEVICE = {
    401: "no device credentials, or wrong or revoked ones (code says which)",
    403: "device_only: the caller is not a device",
}
_UTILITY = {
    502: "utility_error (the company refused us or answered something unreadable) or "
    "payment_channel_error",
    503: "utility_unavailable or utility_not_configured",
    504: "utility_timeout: no answer within the bill API's timeout",
}
_OPTIONS_ERRORS = described(500, said=_DEVICE)
_BILL_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        **_DEVICE,
        **_UTILITY,
        404: "account_not_found: the company has no such account (citizen_message says so)",
        409: "nothing_due: the account owes nothing now",
    },
)
_ORDER_ERRORS = described(
    400,
    413,
    422,
    500,
    said={
        **_DEVICE,
        **_UTILITY,
        404: "account_not_found",
        409: "bill_changed (the bill is not the one shown: citizen_message gives the new "
        "amount), nothing_due, or request_reused (this request_id named another order)",
        422: "channel_not_offered, or an invalid body",
    },
)
_STATE_ERRORS = described(
    400,
    500,
    said={
        **_DEVICE,
        404: "order_not_found: no such order of this kiosk",
        409: "order_state: not possible in the order's state (cancel a paid order)",
        422: "an invalid order id",
        502: "payment_channel_error: the channel failed to close or to answer",
    },
)
_RECEIPT_ERRORS = described(
    400,
    500,
    said={
        **_DEVICE,
        404: "order_not_found",
        409: "order_state (not paid) or receipt_not_printed (this kiosk cannot print now)",
        422: "an invalid order id",
    },
)


class UtilityOut(BaseModel):
    code: Utility
    name: str
    name_en: str


class OptionsOut(BaseModel):
    utilities: list[UtilityOut]
    #: the configured channels (``alipay``, ``icbc``, ``ccb``), in the order to offer them
    channels: list[str]
    #: whether bills can be asked now (the bill API is configured)
    available: bool


class BillIn(_In):
    account: Annotated[str, Field(pattern=ACCOUNT_PATTERN)]


class BillOut(BaseModel):
    utility: Utility
    account_masked: str
    holder_masked: str
    company: str
    period: str
    amount_fen: int
    #: the bill's number: the order names it, so a changed bill is noticed
    bill_no: str


class OrderIn(_In):
    #: the kiosk's own id for this attempt: a retry with it returns the same order
    request_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    utility: Utility
    account: Annotated[str, Field(pattern=ACCOUNT_PATTERN)]
    bill_no: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    amount_fen: Annotated[int, Field(ge=1, le=100_000_000), NumberOnly]
    channel: Annotated[str, Field(pattern=r"^[a-z]{2,16}$")]


class OrderOut(BaseModel):
    id: str
    out_trade_no: str
    #: ``waiting``, ``paid``, ``closed`` or ``refunded``
    state: str
    #: why it closed (timeout, cancelled, precreate_failed) or what is held (amount_mismatch,
    #: paid_after_close); "" when nothing
    flag: str
    utility: str
    account_masked: str
    holder_masked: str
    company: str
    period: str
    amount_fen: int
    channel: str
    #: what the QR code shows while the order waits ("" otherwise)
    qr_content: str
    created_at: datetime
    expires_at: datetime
    paid_at: datetime | None
    receipt_prints: int


class ReceiptOut(BaseModel):
    job_id: str
    #: how many times this order's receipt was asked for (2 and more are reprints)
    prints: int


def payments(kiosk: Kiosk) -> OrderService:
    if kiosk.payments is None:
        raise UtilityNotConfigured("payments are not built")
    return kiosk.payments.orders


def order_out(row: PayOrder) -> OrderOut:
    return OrderOut(
        id=row.id,
        out_trade_no=row.out_trade_no,
        state=row.state,
        flag=row.flag,
        utility=row.utility,
        account_masked=mask_account(row.account),
        holder_masked=row.holder_masked,
        company=row.company,
        period=row.period,
        amount_fen=row.amount_fen,
        channel=row.channel,
        qr_content=row.qr_content if row.state == "waiting" else "",
        created_at=row.created_at,
        expires_at=row.expires_at,
        paid_at=row.paid_at,
        receipt_prints=row.receipt_prints,
    )


def bill_out(bill: Bill) -> BillOut:
    return BillOut(
        utility=bill.utility,
        account_masked=mask_account(bill.account),
        holder_masked=mask_name(bill.holder),
        company=bill.company,
        period=bill.period,
        amount_fen=bill.amount_fen,
        bill_no=bill.bill_no,
    )


@router.get("/api/v1/kiosk/pay/options", response_model=OptionsOut, responses=_OPTIONS_ERRORS)
async def options(caller: DeviceCaller, kiosk: KioskParts) -> OptionsOut:
    """The utilities and the configured channels."""
    built = kiosk.payments
    utilities = [
        UtilityOut(code=u, name=UTILITY_NAMES[u][0], name_en=UTILITY_NAMES[u][1]) for u in UTILITIES
    ]
    if built is None:
        return OptionsOut(utilities=utilities, channels=[], available=False)
    channels = sorted(built.orders.channels)
    return OptionsOut(utilities=utilities, channels=channels, available=built.bills_configured)


@router.post("/api/v1/kiosk/pay/bills/{utility}", response_model=BillOut, responses=_BILL_ERRORS)
async def bill(
    utility: Annotated[Utility, Path()], body: BillIn, caller: DeviceCaller, kiosk: KioskParts
) -> BillOut:
    """What is due on the account now (holder and account masked)."""
    return bill_out(await payments(kiosk).bill(utility, body.account))


@router.post(
    "/api/v1/kiosk/pay/orders", status_code=201, response_model=OrderOut, responses=_ORDER_ERRORS
)
async def create_order(body: OrderIn, caller: DeviceCaller, kiosk: KioskParts) -> OrderOut:
    """The bill is asked again (it must be the one shown); the channel opens a QR trade."""
    asked = OrderAsked(
        body.request_id, body.utility, body.account, body.bill_no, body.amount_fen, body.channel
    )
    row = await payments(kiosk).create(caller.name, caller.device_site or "", asked)
    return order_out(row)


@router.get("/api/v1/kiosk/pay/orders/{order_id}", response_model=OrderOut, responses=_STATE_ERRORS)
async def poll_order(order_id: OrderId, caller: DeviceCaller, kiosk: KioskParts) -> OrderOut:
    """The order now: a timed-out one is closed at the channel; a late notification is asked
    about at the channel."""
    return order_out(await payments(kiosk).poll(order_id, caller.name))


@router.post(
    "/api/v1/kiosk/pay/orders/{order_id}/cancel",
    response_model=OrderOut,
    responses=_STATE_ERRORS,
)
async def cancel_order(order_id: OrderId, caller: DeviceCaller, kiosk: KioskParts) -> OrderOut:
    """Closed at the channel, then here; a paid order is not cancelled (409)."""
    return order_out(await payments(kiosk).cancel(order_id, caller.name))


@router.post(
    "/api/v1/kiosk/pay/orders/{order_id}/receipt",
    status_code=201,
    response_model=ReceiptOut,
    responses=_RECEIPT_ERRORS,
)
async def order_receipt(
    order_id: OrderId, caller: DeviceCaller, kiosk: KioskParts, request: Request
) -> ReceiptOut:
    """Print the paid order's receipt on this kiosk (again: a reprint, never a charge)."""
    jobs = request.app.state.parts.jobs
    job_id, prints = await print_receipt(payments(kiosk), jobs, caller, order_id)
    return ReceiptOut(job_id=job_id, prints=prints)
