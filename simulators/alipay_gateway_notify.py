"""The simulated Alipay gateway's asynchronous notifications (异步通知): a signed form POST to
the trade's ``notify_url``, sent again until the merchant answers exactly ``success`` (Alipay:
after 4 m, 10 m, 10 m, 1 h, 2 h, 6 h, 15 h; the simulator on a compressed schedule)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime

import aiohttp
from cryptography.hazmat.primitives.asymmetric import rsa

from simulators.alipay_gateway_sign import sign, unsigned
from simulators.alipay_gateway_trades import Trade, china, yuan


@dataclass(frozen=True)
class Sent:
    """One delivery attempt of a notification, as the simulator saw it."""

    notify_id: str
    out_trade_no: str
    trade_status: str
    #: "" (genuine), "key" (signed with another key) or "amount" (changed after signing)
    forged: str
    #: the merchant's answer body, or the transport error's name
    reply: str


def notify_fields(trade: Trade, pid: str, now: datetime, refund_no: str = "") -> dict[str, str]:
    """The fields Alipay posts for the trade as it now is (a refund's when ``refund_no``)."""
    fields = {
        "notify_time": china(now),
        "notify_type": "trade_status_sync",
        "notify_id": secrets.token_hex(16),
        "app_id": trade.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": trade.trade_no,
        "out_trade_no": trade.out_trade_no,
        "seller_id": pid,
        "buyer_logon_id": "159****5620",
        "trade_status": trade.status,
        "total_amount": yuan(trade.amount_fen),
        "subject": trade.subject,
        "gmt_create": china(trade.created_at),
        "gmt_payment": china(trade.paid_at),
        "gmt_close": china(trade.closed_at),
    }
    if trade.paid_at is not None:
        fields["receipt_amount"] = fields["buyer_pay_amount"] = yuan(trade.amount_fen)
    if refund_no:
        refund = trade.refunds[refund_no]
        fields.update(
            out_biz_no=refund_no,
            refund_fee=yuan(trade.refunded_fen),
            gmt_refund=china(refund.at) + ".000",
        )
    return {k: v for k, v in fields.items() if v}


def signed(fields: dict[str, str], key: rsa.RSAPrivateKey) -> dict[str, str]:
    return {**fields, "sign": sign(key, unsigned(fields, ("sign", "sign_type")))}


@dataclass
class Postman:
    """Delivers notifications, each until it is answered ``success`` or the schedule ends."""

    retry_s: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
    timeout_s: float = 5.0
    sent: list[Sent] | None = None
    changed: asyncio.Condition | None = None

    async def deliver(
        self, url: str, fields: dict[str, str], forged: str, repeats: int, delay_s: float
    ) -> None:
        if delay_s:
            await asyncio.sleep(delay_s)
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for wait in (0.0, *self.retry_s):
                await asyncio.sleep(wait)
                if await self._post(http, url, fields, forged) == "success":
                    break
            for _ in range(repeats):  # the same notification again, as Alipay sometimes does
                await self._post(http, url, fields, forged)

    async def _post(
        self, http: aiohttp.ClientSession, url: str, fields: dict[str, str], forged: str
    ) -> str:
        try:
            async with http.post(url, data=fields) as r:
                reply = (await r.text()).strip()
        except (aiohttp.ClientError, TimeoutError) as err:
            reply = type(err).__name__
        record = Sent(
            fields["notify_id"], fields["out_trade_no"], fields["trade_status"], forged, reply
        )
        if self.sent is not None and self.changed is not None:
            async with self.changed:
                self.sent.append(record)
                self.changed.notify_all()
        return reply
