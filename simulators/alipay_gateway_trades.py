"""The simulated Alipay gateway's trades, as the 当面付 documentation describes their life.

A precreated QR is not yet a trade: ``query`` and ``close`` answer ``ACQ.TRADE_NOT_EXIST``
until the buyer scans it (opens the phone page), which makes a ``WAIT_BUYER_PAY`` trade with a
``trade_no``. Paying makes it ``TRADE_SUCCESS``; a close, the ``timeout_express`` running out
or a full refund makes it ``TRADE_CLOSED``. Answers are the ``<method>_response`` nodes
(``code`` ``10000`` or ``40004`` with Alipay's ``sub_code``); no I/O here.
"""

from __future__ import annotations

import itertools
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

CHINA = timezone(timedelta(hours=8))
FORMAT = "%Y-%m-%d %H:%M:%S"
_TIMEOUT = re.compile(r"^(\d{1,4})([mhd])$")
_OUT_NO = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
Node = dict[str, Any]


def ok(**fields: Any) -> Node:
    return {"code": "10000", "msg": "Success", **fields}


def failed(sub_code: str, sub_msg: str, code: str = "40004") -> Node:
    msg = {"40004": "Business Failed", "40002": "Invalid Arguments"}.get(code, "Failed")
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}


def cents(value: Any) -> int | None:
    """A yuan amount as fen: a string with at most two decimals, 0.01..100000000."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if amount != amount.quantize(Decimal("0.01")) or not 0 < amount <= 100_000_000:
        return None
    return int(amount * 100)


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def china(at: datetime | None) -> str:
    return at.astimezone(CHINA).strftime(FORMAT) if at else ""


@dataclass
class Refund:
    out_request_no: str
    amount_fen: int
    at: datetime
    reason: str


@dataclass
class Trade:
    app_id: str
    out_trade_no: str
    amount_fen: int
    subject: str
    notify_url: str
    qr: str
    created_at: datetime
    expires_at: datetime
    #: ``PRECREATED`` (not yet a trade at Alipay), then Alipay's ``trade_status``
    status: str = "PRECREATED"
    trade_no: str = ""
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    refunds: dict[str, Refund] = field(default_factory=dict)

    @property
    def refunded_fen(self) -> int:
        return sum(r.amount_fen for r in self.refunds.values())


@dataclass
class TradeBook:
    """Every trade of the simulated gateway, by ``(app_id, out_trade_no)`` and by QR token."""

    #: what a QR code opens: ``{qr_base}/pay/{token}`` (the simulator's phone page)
    qr_base: str = ""
    trades: dict[tuple[str, str], Trade] = field(default_factory=dict)
    by_qr: dict[str, Trade] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def precreate(self, app_id: str, biz: Node, notify_url: str, now: datetime) -> Node:
        out_no, amount = biz.get("out_trade_no"), cents(biz.get("total_amount"))
        subject, timeout = biz.get("subject"), _minutes(biz.get("timeout_express", "120m"))
        if not isinstance(out_no, str) or not _OUT_NO.match(out_no):
            return failed("isv.missing-parameter", "out_trade_no 缺失或格式不对", "40002")
        if amount is None or not isinstance(subject, str) or not subject or timeout is None:
            return failed(
                "isv.invalid-parameter", "total_amount/subject/timeout_express 有误", "40002"
            )
        old = self.trades.get((app_id, out_no))
        if old is not None:
            if old.amount_fen != amount:
                return failed("ACQ.CONTEXT_INCONSISTENT", "交易信息被篡改")
            if old.status == "TRADE_SUCCESS":
                return failed("ACQ.TRADE_HAS_SUCCESS", "交易已被支付")
            if old.status in ("TRADE_CLOSED", "EXPIRED"):
                return failed("ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            return ok(out_trade_no=out_no, qr_code=f"{self.qr_base}/pay/{old.qr}")
        qr = "bax" + secrets.token_hex(12)
        expires = now + timedelta(minutes=timeout)
        trade = Trade(app_id, out_no, amount, subject, notify_url, qr, now, expires)
        self.trades[(app_id, out_no)] = trade
        self.by_qr[qr] = trade
        return ok(out_trade_no=out_no, qr_code=f"{self.qr_base}/pay/{qr}")

    def scan(self, trade: Trade, now: datetime) -> None:
        """The buyer opened the QR: the trade now exists at Alipay."""
        if trade.status == "PRECREATED":
            trade.status = "WAIT_BUYER_PAY"
            trade.trade_no = (
                now.astimezone(CHINA).strftime("%Y%m%d") + f"22{next(self._serial):018d}"
            )

    def pay(self, trade: Trade, now: datetime) -> bool:
        if trade.expires_at <= now and trade.status in ("PRECREATED", "WAIT_BUYER_PAY"):
            return False  # the sweep closes it
        self.scan(trade, now)
        if trade.status != "WAIT_BUYER_PAY":
            return False
        trade.status, trade.paid_at = "TRADE_SUCCESS", now
        return True

    def shut(self, trade: Trade, now: datetime) -> bool:
        if trade.status not in ("PRECREATED", "WAIT_BUYER_PAY"):
            return False
        self.scan(trade, now)
        trade.status, trade.closed_at = "TRADE_CLOSED", now
        return True

    def expired(self, now: datetime) -> list[Trade]:
        """Scanned trades whose ``timeout_express`` ran out, now closed (to be notified); an
        unscanned QR just dies (``EXPIRED``: there never was a trade to close)."""
        for t in self.trades.values():
            if t.status == "PRECREATED" and t.expires_at <= now:
                t.status = "EXPIRED"
        due = [t for t in self.trades.values() if t.status == "WAIT_BUYER_PAY"]
        return [t for t in due if t.expires_at <= now and self.shut(t, now)]

    def find(self, app_id: str, biz: Node) -> Trade | None:
        out_no = biz.get("out_trade_no")
        trade = self.trades.get((app_id, out_no)) if isinstance(out_no, str) else None
        if trade is None and isinstance(biz.get("trade_no"), str):
            trade = next((t for t in self.trades.values() if t.trade_no == biz["trade_no"]), None)
        return None if trade is None or trade.status in ("PRECREATED", "EXPIRED") else trade

    def query(self, app_id: str, biz: Node) -> Node:
        trade = self.find(app_id, biz)
        if trade is None:
            return failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
        answer = ok(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id="159****5620",
            trade_status=trade.status,
            total_amount=yuan(trade.amount_fen),
        )
        if trade.paid_at is not None:
            answer["send_pay_date"] = china(trade.paid_at)
            answer["receipt_amount"] = yuan(trade.amount_fen)
        return answer

    def close(self, app_id: str, biz: Node, now: datetime) -> tuple[Node, Trade | None]:
        trade = self.find(app_id, biz)
        if trade is None:
            return failed("ACQ.TRADE_NOT_EXIST", "交易不存在"), None
        if not self.shut(trade, now):
            return failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), None
        return ok(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no), trade

    def refund(self, app_id: str, biz: Node, now: datetime) -> tuple[Node, Trade | None]:
        """A refund (idempotent per ``out_request_no``); the trade when money moved."""
        trade, amount = self.find(app_id, biz), cents(biz.get("refund_amount"))
        request_no = str(biz.get("out_request_no") or biz.get("out_trade_no") or "")
        if amount is None:
            return failed("isv.invalid-parameter", "refund_amount 有误", "40002"), None
        if trade is None:
            return failed("ACQ.TRADE_NOT_EXIST", "交易不存在"), None
        old = trade.refunds.get(request_no)
        if old is None:
            if trade.status != "TRADE_SUCCESS":
                return failed("ACQ.TRADE_STATUS_ERROR", "交易状态不合法"), None
            if trade.refunded_fen + amount > trade.amount_fen:
                return failed("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限"), None
            old = Refund(request_no, amount, now, str(biz.get("refund_reason", "")))
            trade.refunds[request_no] = old
            if trade.refunded_fen == trade.amount_fen:
                trade.status, trade.closed_at = "TRADE_CLOSED", now
        answer = ok(
            trade_no=trade.trade_no,
            out_trade_no=trade.out_trade_no,
            buyer_logon_id="159****5620",
            fund_change="Y" if old.at == now else "N",
            refund_fee=yuan(trade.refunded_fen),
            gmt_refund_pay=china(old.at),
        )
        return answer, trade if old.at == now else None


def refund_query(book: TradeBook, app_id: str, biz: Node) -> Node:
    """``alipay.trade.fastpay.refund.query``: a refund by its ``out_request_no`` (no refund:
    a success without ``refund_amount``, as Alipay answers)."""
    trade = book.find(app_id, biz)
    if trade is None:
        return failed("ACQ.TRADE_NOT_EXIST", "交易不存在")
    answer = ok(trade_no=trade.trade_no, out_trade_no=trade.out_trade_no)
    refund = trade.refunds.get(str(biz.get("out_request_no") or trade.out_trade_no))
    if refund is not None:
        answer.update(
            out_request_no=refund.out_request_no,
            refund_amount=yuan(refund.amount_fen),
            total_amount=yuan(trade.amount_fen),
            refund_status="REFUND_SUCCESS",
            gmt_refund_pay=china(refund.at),
        )
    return answer


def _minutes(value: Any) -> int | None:
    """``timeout_express``: 1m..15d as ``Nm``, ``Nh`` or ``Nd``."""
    got = _TIMEOUT.match(str(value))
    if got is None:
        return None
    n = int(got.group(1)) * {"m": 1, "h": 60, "d": 1440}[got.group(2)]
    return n if 1 <= n <= 15 * 1440 else None


def now_utc() -> datetime:
    return datetime.now(UTC)
