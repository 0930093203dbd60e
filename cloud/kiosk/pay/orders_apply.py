"""What a channel says about a trade, applied to its order once: from a notification (verified
by the channel), a query, or a close. Every notification leaves one row (``pay_notifications``:
channel, notification id, order number, outcome, source address — never its body).

- paid, for a waiting order: ``paid``, the amount checked (a different amount is flagged
  ``amount_mismatch`` and the bill is not written back: an operator looks at it);
- paid, for a closed order (a notification later than our close): ``paid`` flagged
  ``paid_after_close`` — the money was taken, so the operator refunds or keeps it;
- anything again for a settled order: ``repeat``, nothing changes;
- an order we do not have: ``unknown_order``, acknowledged (so the gateway stops repeating)
  and logged; a forged notification: ``forged``, refused, logged with its source.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import cast

from cloud.kiosk.pay.bills import Bill, Utility, UtilityError
from cloud.kiosk.pay.bills_http import BillChangedAtCompany
from cloud.kiosk.pay.channel import ForgedNotification, TradeStatus
from cloud.kiosk.pay.orders_store import OrderStore
from cloud.kiosk.pay.orders_tables import PayNotification, PayOrder

log = logging.getLogger(__name__)


async def apply_status(service: OrderStore, channel: str, status: TradeStatus, source: str) -> str:
    """Apply ``status`` to its order; the outcome (``applied``, ``repeat``...)."""
    row = await service.by_trade_no(status.out_trade_no)
    if row is None or row.channel != channel:
        return "unknown_order"
    if status.state == "paid":
        outcome = await _paid(service, row, status)
    elif status.state == "closed" and row.state == "waiting":
        flag = source if source in ("timeout", "cancelled") else "closed_by_channel"
        changed = await service.set_if(
            row.id, "waiting", state="closed", flag=flag, closed_at=service.clock()
        )
        outcome = "applied" if changed else "repeat"
    else:
        outcome = "repeat" if row.state != "waiting" else "ignored"
    if outcome in ("applied", "late", "amount_mismatch"):
        log.info("order %s: %s from %s (%s)", row.id, status.state, source, outcome)
    if outcome == "applied" and status.state == "paid":
        await write_back(service, row.id)
    return outcome


async def _paid(service: OrderStore, row: PayOrder, status: TradeStatus) -> str:
    if row.state not in ("waiting", "closed"):
        return "repeat"
    paid = status.amount_fen or row.amount_fen
    values: dict[str, object] = {
        "state": "paid",
        "trade_no": (status.trade_no or row.trade_no)[:64],
        "paid_amount_fen": paid,
        "paid_at": status.paid_at or service.clock(),
        "writeback": "pending",
    }
    outcome = "applied"
    if paid != row.amount_fen:
        values.update(flag="amount_mismatch", writeback="held")
        outcome = "amount_mismatch"
    elif row.state == "closed":
        values.update(flag="paid_after_close", writeback="held")
        outcome = "late"
    changed = await service.set_if(row.id, row.state, **values)
    if not changed:  # another worker applied it first
        return "repeat"
    if outcome != "applied":
        log.warning("order %s: paid but %s: held for an operator", row.id, values["flag"])
    return outcome


async def write_back(service: OrderStore, order_id: str) -> None:
    """Tell the company the bill was paid; a refusal of the bill is ``failed`` (an operator
    refunds), anything else stays ``pending`` and the sweep tries again."""
    row = await service.require(order_id)
    if row.writeback != "pending":
        return
    utility = cast(Utility, row.utility)
    bill = Bill(utility, row.account, "", row.period, row.amount_fen, row.bill_no, row.company)
    try:
        await service.bills.mark_paid(bill, row.out_trade_no)
    except BillChangedAtCompany as err:
        log.warning("order %s: write-back refused: %s", row.id, err)
        await service.set_if(row.id, "paid", writeback="failed")
    except UtilityError as err:
        log.warning("order %s: write-back not done yet: %s", row.id, err)
    else:
        await service.set_if(row.id, "paid", writeback="done")


async def handle_notify(
    service: OrderStore,
    channel_name: str,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str],
    source_ip: str,
) -> tuple[int, str, bytes]:
    """A gateway's POST → what it expects back; a forged one raises (400, logged)."""
    channel = service.channel(channel_name)
    try:
        note = channel.verify_notify(body, content_type, headers)
    except ForgedNotification as err:
        log.warning("%s notification from %s refused: %s", channel_name, source_ip, err)
        await _record(service, channel_name, "", "", "forged", source_ip)
        raise
    outcome = await apply_status(service, channel_name, note.status, "notify")
    if outcome == "unknown_order":
        log.warning(
            "%s notification %s for an order we do not have (%s) from %s: acknowledged",
            channel_name,
            note.notify_id,
            note.status.out_trade_no,
            source_ip,
        )
    await _record(
        service, channel_name, note.notify_id, note.status.out_trade_no, outcome, source_ip
    )
    return channel.notify_reply(True)


async def _record(
    service: OrderStore, channel: str, notify_id: str, out_trade_no: str, outcome: str, ip: str
) -> None:
    async with service.sessions.begin() as s:
        s.add(
            PayNotification(
                at=service.clock(),
                channel=channel,
                notify_id=notify_id[:128],
                out_trade_no=out_trade_no[:64],
                outcome=outcome,
                source_ip=ip[:64],
            )
        )
