"""A test double of a payment gateway and its channel (the ``PaymentChannel`` contract), for the
order service's tests before the real channels (Alipay, ICBC, CCB) are merged.

The gateway keeps its trades in memory, counts every call, and signs its notifications with an
HMAC key like a real gateway signs with its own: :meth:`DoubleGateway.phone_pays` is the
citizen's phone confirming the QR (it posts the signed notification to the order's notify URL
when ``post`` is given a client, or returns the body for the test to post, again and again).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

import httpx

from cloud.kiosk.pay.channel import (
    ChannelError,
    ChannelName,
    ChannelOrder,
    ForgedNotification,
    Notification,
    Precreated,
    Refunded,
    StatementLine,
    TradeStatus,
)

KEY = b"double-gateway-demo-key"
NAME = cast(ChannelName, "double")


def sign(fields: Mapping[str, Any], key: bytes = KEY) -> str:
    text = json.dumps({k: v for k, v in fields.items() if k != "sign"}, sort_keys=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


@dataclass
class Trade:
    order: ChannelOrder
    state: str = "waiting"
    trade_no: str = field(default_factory=lambda: "D" + secrets.token_hex(8))
    paid_fen: int = 0
    refunds: dict[str, int] = field(default_factory=dict)


@dataclass
class DoubleGateway:
    trades: dict[str, Trade] = field(default_factory=dict)
    #: every call, as (method, out_trade_no)
    calls: list[tuple[str, str]] = field(default_factory=list)
    #: the next calls of these methods raise ChannelError
    fail: set[str] = field(default_factory=set)

    def charges(self) -> int:
        return sum(1 for t in self.trades.values() if t.paid_fen)

    def notification(self, out_trade_no: str, amount_fen: int | None = None) -> bytes:
        t = self.trades[out_trade_no]
        fields: dict[str, Any] = {
            "notify_id": "N" + out_trade_no,
            "out_trade_no": out_trade_no,
            "trade_no": t.trade_no,
            "trade_status": "TRADE_SUCCESS",
            "amount_fen": t.paid_fen if amount_fen is None else amount_fen,
        }
        fields["sign"] = sign(fields)
        return json.dumps(fields).encode()

    async def phone_pays(
        self, out_trade_no: str, post: httpx.AsyncClient | None = None, amount_fen: int = 0
    ) -> bytes:
        """The citizen confirms on the phone: paid at the gateway; the notification's body
        (posted to the notify URL with ``post``)."""
        t = self.trades[out_trade_no]
        if t.state != "waiting":
            raise AssertionError(f"trade {out_trade_no} is {t.state}: the phone cannot pay it")
        t.state, t.paid_fen = "paid", amount_fen or t.order.amount_fen
        body = self.notification(out_trade_no)
        if post is not None:
            r = await post.post(
                t.order.notify_url, content=body, headers={"Content-Type": "application/json"}
            )
            assert r.status_code == 200, r.text
        return body


class DoubleChannel:
    def __init__(self, gateway: DoubleGateway) -> None:
        self.gateway = gateway

    @property
    def name(self) -> ChannelName:
        return NAME

    def _call(self, method: str, out_trade_no: str) -> None:
        self.gateway.calls.append((method, out_trade_no))
        if method in self.gateway.fail:
            self.gateway.fail.discard(method)
            raise ChannelError("double", f"{method} failed on demand")

    async def precreate(self, order: ChannelOrder) -> Precreated:
        self._call("precreate", order.out_trade_no)
        t = self.gateway.trades.setdefault(order.out_trade_no, Trade(order))
        return Precreated(
            qr_content=f"https://double.invalid/qr/{order.out_trade_no}", trade_no=t.trade_no
        )

    async def query(self, out_trade_no: str) -> TradeStatus:
        self._call("query", out_trade_no)
        t = self.gateway.trades.get(out_trade_no)
        if t is None:
            raise ChannelError("double", "TRADE_NOT_EXIST")
        state = cast(Any, t.state)
        return TradeStatus(out_trade_no, state, t.trade_no, t.paid_fen)

    async def close(self, out_trade_no: str) -> None:
        self._call("close", out_trade_no)
        t = self.gateway.trades[out_trade_no]
        if t.state == "paid":
            raise ChannelError("double", "TRADE_STATUS_ERROR: the trade is paid")
        t.state = "closed"

    async def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, reason: str
    ) -> Refunded:
        self._call("refund", out_trade_no)
        t = self.gateway.trades[out_trade_no]
        if t.state != "paid" or sum(t.refunds.values()) + amount_fen > t.paid_fen:
            raise ChannelError("double", "REFUND_AMT_NOT_EQUAL_TOTAL")
        t.refunds.setdefault(out_refund_no, amount_fen)
        return Refunded(out_refund_no, amount_fen, datetime.now(UTC))

    def verify_notify(
        self, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> Notification:
        try:
            fields = json.loads(body)
            good = hmac.compare_digest(str(fields.get("sign", "")), sign(fields))
        except (ValueError, AttributeError, TypeError) as err:
            raise ForgedNotification("double", "not a notification") from err
        if not good:
            raise ForgedNotification("double", "bad signature")
        paid = fields["trade_status"] == "TRADE_SUCCESS"
        status = TradeStatus(
            str(fields["out_trade_no"]),
            "paid" if paid else "waiting",
            str(fields["trade_no"]),
            int(fields["amount_fen"]),
            datetime.now(UTC),
        )
        return Notification(status, str(fields["notify_id"]))

    def notify_reply(self, accepted: bool) -> tuple[int, str, bytes]:
        return 200, "text/plain", b"success" if accepted else b"fail"

    async def statement(self, day: date) -> list[StatementLine]:
        return []

    async def aclose(self) -> None:
        return None
