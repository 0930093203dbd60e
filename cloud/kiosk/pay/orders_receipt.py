"""The paid order's receipt (缴费凭条) on the kiosk's receipt printer, purpose ``payment``.

Printing never touches the channel: a receipt that did not come out (no paper, a jam) is
printed again from the order (``补打``, marked as a reprint), and the citizen is not charged
again. The account and the holder are masked, as on the screen: a receipt may be left behind."""

from __future__ import annotations

from datetime import datetime

from cloud.auth.principal import Principal
from cloud.errors import CloudError
from cloud.hall.ticket_token import HALL_TZ
from cloud.jobs import JobService
from cloud.kiosk.pay.bills import UTILITY_NAMES
from cloud.kiosk.pay.orders import OrderService, mask_account
from cloud.kiosk.pay.orders_errors import OrderState, ReceiptNotPrinted
from cloud.kiosk.pay.orders_tables import PayOrder
from cloud.schemas import DeviceTarget, JobCreate
from protocols.jobs import FeedLine, JobKind, ReceiptLine, ReceiptParams, TextLine

CHANNEL_NAMES = {"alipay": "支付宝 Alipay", "icbc": "工商银行 ICBC", "ccb": "建设银行 CCB"}


def _when(moment: datetime | None) -> str:
    return moment.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def payment_receipt(row: PayOrder, reprint: bool, now: datetime) -> ReceiptParams:
    zh, en = UTILITY_NAMES[row.utility]  # type: ignore[index]
    lines: list[ReceiptLine] = [
        TextLine(text="生活缴费凭条", align="center", bold=True, width=2, height=2),
        TextLine(text="Utility payment receipt", align="center"),
    ]
    if reprint:
        lines.append(TextLine(text="（补打 Reprint）", align="center", bold=True))
    lines += [
        FeedLine(),
        TextLine(text=f"缴费项目 {zh} {en}"),
        TextLine(text=f"收费单位 {row.company}"),
        TextLine(text=f"户号 Account {mask_account(row.account)}"),
        TextLine(text=f"户名 Holder {row.holder_masked}"),
        TextLine(text=f"账期 Period {row.period}"),
        TextLine(text=f"金额 Amount ¥{row.paid_amount_fen / 100:.2f}", bold=True, width=2),
        TextLine(text=f"支付方式 {CHANNEL_NAMES.get(row.channel, row.channel)}"),
        TextLine(text=f"订单号 Order {row.out_trade_no}"),
        TextLine(text=f"交易号 Trade {row.trade_no or '—'}"),
        TextLine(text=f"支付时间 Paid {_when(row.paid_at)}"),
        FeedLine(),
        TextLine(text=f"打印时间 Printed {_when(now)}", align="center"),
        TextLine(text="请妥善保管本凭条 Keep this receipt", align="center"),
    ]
    return ReceiptParams(lines=lines)


async def print_receipt(
    orders: OrderService, jobs: JobService, caller: Principal, order_id: str
) -> tuple[str, int]:
    """The receipt job's id and how many times this order's receipt was asked for."""
    row = await orders.require(order_id, caller.name)
    if row.state == "refunded":
        raise OrderState(
            f"order {order_id} is refunded",
            "该订单已退款，不再打印缴费凭条。",
            "This order was refunded: there is no receipt to print.",
        )
    if row.state != "paid":
        raise OrderState(
            f"order {order_id} is {row.state}",
            "该订单尚未支付，没有缴费凭条。",
            "This order is not paid: there is no receipt.",
        )
    count = row.receipt_prints + 1
    req = JobCreate(
        kind=JobKind.PRINT_RECEIPT,
        target=DeviceTarget(device_id=caller.name),
        params=payment_receipt(row, count > 1, orders.clock()).model_dump(
            mode="json", exclude_none=True
        ),
        idempotency_key=f"pay-receipt:{row.id}:{count}",
        purpose="payment",
        max_attempts=1,  # not printed later for nobody: the citizen reprints (补打) at once
    )
    try:
        job, _ = await jobs.create(req, caller)
    except CloudError as err:
        raise ReceiptNotPrinted(str(err)) from err
    await orders.set_if(row.id, row.state, receipt_prints=count, receipt_job_id=job.id)
    return job.id, count
