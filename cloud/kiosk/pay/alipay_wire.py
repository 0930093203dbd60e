"""Alipay's wire values and our shapes: yuan strings and fen, China-time timestamps, trade
states, and a notification's fields turned into a :class:`TradeStatus`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.channel import TradeState, TradeStatus

_YUAN = re.compile(r"^(-?)(\d{1,11})(?:\.(\d{1,2}))?$")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def yuan(fen: int) -> str:
    """``1230`` → ``"12.30"`` (Alipay's ``total_amount``, ``refund_amount``)."""
    if fen < 0:
        return "-" + yuan(-fen)
    return f"{fen // 100}.{fen % 100:02d}"


def fen(value: str) -> int:
    """``"12.3"`` → ``1230``; anything but a plain decimal with at most two places is refused
    (no float ever touches money)."""
    got = _YUAN.match(value.strip())
    if got is None:
        raise ValueError(f"not an amount in yuan: {value!r}")
    sign, whole, cents = got.groups()
    total = int(whole) * 100 + int((cents or "0").ljust(2, "0"))
    return -total if sign else total


def china_time(value: str | None) -> datetime | None:
    """Alipay's ``yyyy-MM-dd HH:mm:ss`` (Beijing time), aware."""
    if not value:
        return None
    return datetime.strptime(value.strip(), TIME_FORMAT).replace(tzinfo=HALL_TZ)


def wire_time(at: datetime) -> str:
    return at.astimezone(HALL_TZ).strftime(TIME_FORMAT)


def trade_state(trade_status: str, refunded: bool) -> TradeState:
    """Alipay's ``trade_status``; ``TRADE_CLOSED`` means unpaid-and-closed or, after a
    payment, fully refunded (``refunded`` says which)."""
    if trade_status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return "paid"
    if trade_status == "WAIT_BUYER_PAY":
        return "waiting"
    if trade_status == "TRADE_CLOSED":
        return "refunded" if refunded else "closed"
    raise ValueError(f"unknown trade_status {trade_status!r}")


def status_of(fields: Mapping[str, str]) -> TradeStatus:
    """A query answer's or a notification's fields as a :class:`TradeStatus`."""
    paid_at = china_time(fields.get("gmt_payment") or fields.get("send_pay_date"))
    refunded = bool(fields.get("gmt_refund") or fields.get("refund_fee")) or paid_at is not None
    amount = fields.get("total_amount", "")
    return TradeStatus(
        out_trade_no=fields.get("out_trade_no", ""),
        state=trade_state(fields.get("trade_status", ""), refunded),
        trade_no=fields.get("trade_no", ""),
        amount_fen=fen(amount) if amount else 0,
        paid_at=paid_at,
    )
