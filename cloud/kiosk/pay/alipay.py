"""The Alipay channel: the open platform's 当面付 (face-to-face, QR code) over ``gateway.do``
(docs/pay-alipay.md).

``alipay.trade.precreate`` gives the QR the citizen scans, ``.query``, ``.close`` and
``.refund`` (with ``alipay.trade.fastpay.refund.query`` to confirm a repeated refund) follow
the trade, ``alipay.data.dataservice.bill.downloadurl.query`` finds the day's
statement. Every request is signed with our app's RSA2 key; every answer's signature is
verified with Alipay's public key before it is believed (an error answer may come unsigned: it
is then only a refusal). Every call is bounded by ``timeout_s``. Logged: method, HTTP status,
``code``/``sub_code`` and our order number; never the bodies.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import httpx
from cryptography.hazmat.primitives.asymmetric import rsa

from cloud.errors import ConfigError
from cloud.kiosk.pay.alipay_bill import BillFormatError, statement_lines
from cloud.kiosk.pay.alipay_notify import ACCEPTED, REFUSED, notify_fields, verified_notification
from cloud.kiosk.pay.alipay_sign import (
    load_private_key,
    load_public_key,
    response_node,
    rsa2_sign,
    rsa2_verify,
    sign_content,
)
from cloud.kiosk.pay.alipay_wire import china_time, fen, status_of, wire_time, yuan
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

if TYPE_CHECKING:
    from cloud.settings import Settings

log = logging.getLogger(__name__)

SUCCESS = "10000"
#: the trade does not exist at Alipay: a precreated QR nobody has scanned yet
NOT_EXIST = "ACQ.TRADE_NOT_EXIST"
BILL_MAX_BYTES = 50 * 1024 * 1024


class AlipayChannel:
    """One app on one Alipay gateway (production, sandbox or our simulator)."""

    def __init__(
        self,
        gateway_url: str,
        app_id: str,
        app_private_key: rsa.RSAPrivateKey,
        alipay_public_key: rsa.RSAPublicKey,
        timeout_s: float = 5.0,
    ) -> None:
        self.gateway_url = gateway_url
        self.app_id = app_id
        self._key = app_private_key
        self._alipay_key = alipay_public_key
        self.timeout_s = timeout_s
        self._http = httpx.AsyncClient(trust_env=False, follow_redirects=False)

    @property
    def name(self) -> ChannelName:
        return "alipay"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def precreate(self, order: ChannelOrder) -> Precreated:
        biz = {
            "out_trade_no": order.out_trade_no,
            "total_amount": yuan(order.amount_fen),
            "subject": order.subject,
            "timeout_express": f"{max(1, math.ceil(order.timeout_s / 60))}m",
        }
        extra = {"notify_url": order.notify_url}
        node = await self._call("alipay.trade.precreate", biz, order.out_trade_no, extra)
        self._refused_unless_success("alipay.trade.precreate", node, order.out_trade_no)
        qr = node.get("qr_code")
        if not isinstance(qr, str) or not qr:
            raise ChannelError("alipay", "precreate answered without a qr_code")
        return Precreated(qr_content=qr)

    async def query(self, out_trade_no: str) -> TradeStatus:
        node = await self._call("alipay.trade.query", {"out_trade_no": out_trade_no}, out_trade_no)
        if node.get("sub_code") == NOT_EXIST:  # precreated, not scanned yet
            return TradeStatus(out_trade_no=out_trade_no, state="waiting")
        self._refused_unless_success("alipay.trade.query", node, out_trade_no)
        try:
            return status_of({k: str(v) for k, v in node.items()})
        except ValueError as err:
            raise ChannelError("alipay", f"query answer not understood: {err}") from err

    async def close(self, out_trade_no: str) -> None:
        """A QR nobody scanned has no trade to close (``ACQ.TRADE_NOT_EXIST``): it lapses by
        its ``timeout_express``. A refused close is settled by asking what the trade is."""
        node = await self._call("alipay.trade.close", {"out_trade_no": out_trade_no}, out_trade_no)
        if node.get("code") == SUCCESS or node.get("sub_code") == NOT_EXIST:
            return
        if node.get("sub_code") == "ACQ.TRADE_STATUS_ERROR":
            status = await self.query(out_trade_no)
            if status.state == "closed":
                return
            raise ChannelError("alipay", f"cannot close {out_trade_no}: it is {status.state}")
        self._refused_unless_success("alipay.trade.close", node, out_trade_no)

    async def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, reason: str
    ) -> Refunded:
        biz = {
            "out_trade_no": out_trade_no,
            "refund_amount": yuan(amount_fen),
            "out_request_no": out_refund_no,
            "refund_reason": reason,
        }
        node = await self._call("alipay.trade.refund", biz, out_trade_no)
        self._refused_unless_success("alipay.trade.refund", node, out_trade_no)
        if node.get("fund_change") != "Y":  # a repeat, or not settled: Alipay says ask
            return await self._refund_as_recorded(out_trade_no, out_refund_no)
        at = china_time(str(node.get("gmt_refund_pay") or "")) or datetime.now(UTC)
        return Refunded(out_refund_no=out_refund_no, amount_fen=amount_fen, refunded_at=at)

    async def _refund_as_recorded(self, out_trade_no: str, out_refund_no: str) -> Refunded:
        """The refund as Alipay holds it (``alipay.trade.fastpay.refund.query``): a repeated
        refund number answers for the first refund, whatever amount the repeat named."""
        method = "alipay.trade.fastpay.refund.query"
        biz = {"out_trade_no": out_trade_no, "out_request_no": out_refund_no}
        node = await self._call(method, biz, out_trade_no)
        self._refused_unless_success(method, node, out_trade_no)
        if node.get("refund_status", "REFUND_SUCCESS") != "REFUND_SUCCESS" or not node.get(
            "refund_amount"
        ):
            raise ChannelError("alipay", f"refund {out_refund_no} is not (yet) made")
        try:
            amount = fen(str(node["refund_amount"]))
            at = china_time(str(node.get("gmt_refund_pay") or "")) or datetime.now(UTC)
        except ValueError as err:
            raise ChannelError("alipay", f"refund query not understood: {err}") from err
        return Refunded(out_refund_no=out_refund_no, amount_fen=amount, refunded_at=at)

    def verify_notify(
        self, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> Notification:
        try:
            return verified_notification(
                notify_fields(body, content_type), self.app_id, self._alipay_key
            )
        except ForgedNotification as err:
            log.warning("alipay notification refused: %s", err)
            raise

    def notify_reply(self, accepted: bool) -> tuple[int, str, bytes]:
        return 200, "text/plain", ACCEPTED if accepted else REFUSED

    async def statement(self, day: date) -> list[StatementLine]:
        biz = {"bill_type": "trade", "bill_date": day.isoformat()}
        method = "alipay.data.dataservice.bill.downloadurl.query"
        node = await self._call(method, biz, f"bill {day}")
        self._refused_unless_success(method, node, f"bill {day}")
        url = node.get("bill_download_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ChannelError("alipay", "bill answer without a bill_download_url")
        archive = await self._download(url)
        try:
            return statement_lines(archive)
        except BillFormatError as err:
            log.warning("alipay statement %s: %s", day, err)
            raise ChannelError("alipay", f"statement of {day} not understood: {err}") from err

    def signed_params(
        self, method: str, biz: Mapping[str, Any], extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The request's parameters, ``sign`` included."""
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": wire_time(datetime.now(UTC)),
            "version": "1.0",
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            **(extra or {}),
        }
        params["sign"] = rsa2_sign(self._key, sign_content(params))
        return params

    async def _call(
        self,
        method: str,
        biz: Mapping[str, Any],
        about: str,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """The answer's verified ``<method>_response`` node (a success or a refusal)."""
        params = self.signed_params(method, biz, extra)
        try:
            async with asyncio.timeout(self.timeout_s + 0.5):
                r = await self._http.post(self.gateway_url, data=params, timeout=self.timeout_s)
        except (TimeoutError, httpx.TimeoutException) as err:
            log.warning("alipay %s %s: no answer within %g s", method, about, self.timeout_s)
            raise ChannelError("alipay", f"{method}: no answer in {self.timeout_s:g} s") from err
        except httpx.HTTPError as err:
            log.warning("alipay %s %s: %s", method, about, type(err).__name__)
            raise ChannelError("alipay", f"{method}: unreachable ({type(err).__name__})") from err
        node = self._verified_node(method, r)
        ours = biz.get("out_trade_no")
        if node.get("code") == SUCCESS and ours and node.get("out_trade_no") != ours:
            # Alipay's signature covers the answer, not our question: a genuine answer about
            # another order (replayed by someone in between) must not settle this one
            log.error(
                "alipay %s %s: the answer is about %r", method, about, node.get("out_trade_no")
            )
            raise ChannelError("alipay", f"{method}: the answer is about another order")
        log.info(
            "alipay %s %s: HTTP %s code %s %s",
            method,
            about,
            r.status_code,
            node.get("code"),
            node.get("sub_code", ""),
        )
        return node

    def _verified_node(self, method: str, r: httpx.Response) -> dict[str, Any]:
        if r.status_code != 200:
            raise ChannelError("alipay", f"{method}: HTTP {r.status_code}")
        raw = r.text
        name = method.replace(".", "_") + "_response"
        text = response_node(raw, name) or response_node(raw, "error_response")
        try:
            node = json.loads(text) if text else None
            sign = json.loads(raw).get("sign", "")
        except (ValueError, AttributeError):
            node = None
        if not isinstance(node, dict) or text is None:
            raise ChannelError("alipay", f"{method}: answer not in the documented shape")
        if sign and rsa2_verify(self._alipay_key, text, str(sign)):
            return node
        if not sign and node.get("code") != SUCCESS:
            return node  # an unsigned refusal: believed only as a refusal
        log.error("alipay %s: the answer's signature does not verify: refused", method)
        raise ChannelError("alipay", f"{method}: the answer's signature does not verify")

    @staticmethod
    def _refused_unless_success(method: str, node: Mapping[str, Any], about: str) -> None:
        if node.get("code") == SUCCESS:
            return
        said = f"{node.get('code')} {node.get('msg', '')} {node.get('sub_code', '')} " + str(
            node.get("sub_msg", "")
        )
        log.warning("alipay %s %s refused: %s", method, about, said.strip())
        raise ChannelError("alipay", f"{method} refused: {said.strip()}")

    async def _download(self, url: str) -> bytes:
        try:
            async with asyncio.timeout(self.timeout_s * 4):
                async with self._http.stream("GET", url, timeout=self.timeout_s) as r:
                    if r.status_code != 200:
                        raise ChannelError("alipay", f"statement download: HTTP {r.status_code}")
                    chunks = []
                    async for chunk in r.aiter_bytes():
                        chunks.append(chunk)
                        if sum(map(len, chunks)) > BILL_MAX_BYTES:
                            raise ChannelError("alipay", "statement larger than 50 MiB")
        except (TimeoutError, httpx.HTTPError) as err:
            raise ChannelError(
                "alipay", f"statement download failed ({type(err).__name__})"
            ) from err
        return b"".join(chunks)


def build_alipay(settings: Settings) -> AlipayChannel | None:
    """The channel the settings describe, or None when the gateway URL is empty."""
    if not settings.alipay_gateway_url:
        return None
    private = settings.alipay_app_private_key.get_secret_value()
    if not settings.alipay_app_id or not private or not settings.alipay_public_key:
        raise ConfigError(
            "KFLEET_ALIPAY_GATEWAY_URL is set: KFLEET_ALIPAY_APP_ID, "
            "KFLEET_ALIPAY_APP_PRIVATE_KEY and KFLEET_ALIPAY_PUBLIC_KEY are needed too"
        )
    try:
        app_key, alipay_key = load_private_key(private), load_public_key(settings.alipay_public_key)
    except ValueError as err:  # the message names the key, never its content
        raise ConfigError(f"KFLEET_ALIPAY_APP_PRIVATE_KEY or _PUBLIC_KEY: {err}") from err
    return AlipayChannel(
        settings.alipay_gateway_url,
        settings.alipay_app_id,
        app_key,
        alipay_key,
        settings.alipay_timeout_s,
    )
