"""The CCB channel: 建设银行 聚合支付二维码 (TXCODE 530550) with the MAC of its 网上支付 interface,
the bank's RSA-signed server notification, and the 商户外联平台 (query, refund, statement)
(docs/pay-banks.md "CCB").

Amounts go over the wire in yuan with two decimals (``PAYMENT``). CCB stops a trade by itself
at its ``TIMEOUT``; there is no close transaction, so :meth:`CcbChannel.close` checks the trade
is unpaid (a payment after a cancel then arrives as a late notification, which the order
service refunds). Only the transaction code, the order number and CCB's code are logged.
"""

from __future__ import annotations

import base64
import logging
import secrets
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree

import httpx

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.ccb_xml import parse_tx, tx_request
from cloud.kiosk.pay.channel import (
    ChannelError,
    ChannelName,
    ChannelOrder,
    ForgedNotification,
    Notification,
    Precreated,
    Refunded,
    StatementLine,
    TradeState,
    TradeStatus,
)
from cloud.settings import Settings
from protocols.bank_sign import ccb_mac, ccb_verify_notify

log = logging.getLogger(__name__)
#: ORDER_STATUS of 外联平台 5W1002
_STATES: dict[str, TradeState] = {
    "0": "closed",
    "1": "paid",
    "2": "waiting",
    "3": "paid",
    "4": "refunded",
    "5": "waiting",
}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen_of(text: str) -> int:
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"not an amount: {text!r}") from exc
    if value != value.quantize(Decimal("0.01")) or value < 0:
        raise ValueError(f"not an amount: {text!r}")
    return int(value * 100)


def parse_ccb_time(text: str) -> datetime | None:
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=HALL_TZ) if text else None


class CcbChannel:
    """:class:`cloud.kiosk.pay.channel.PaymentChannel` over CCB's gateway and 外联平台."""

    def __init__(
        self,
        gateway_url: str,
        extranet_url: str,
        ids: tuple[str, str, str],
        public_key_hex: str,
        operator: tuple[str, str],
        timeout_s: float = 5.0,
    ) -> None:
        self._url = gateway_url.rstrip("/")
        self._extranet = extranet_url or self._url + "/extranet"
        self._merchant, self._pos, self._branch = ids
        self._public = public_key_hex
        self._user, self._password = operator
        self._http = httpx.AsyncClient(timeout=timeout_s)

    @property
    def name(self) -> ChannelName:
        return "ccb"

    async def _get_json(self, what: str, method: str, url: str, **kw: Any) -> dict[str, Any]:
        try:
            answer = await self._http.request(method, url, **kw)
            got = answer.json()
        except httpx.TimeoutException as exc:
            raise ChannelError("ccb", f"{what}: no answer in time") from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise ChannelError("ccb", f"{what}: {type(exc).__name__}") from exc
        if not isinstance(got, dict) or got.get("SUCCESS") != "true":
            code = got.get("ERRCODE") if isinstance(got, dict) else "?"
            log.warning("ccb %s refused: %s", what, code)
            raise ChannelError("ccb", f"{what}: refused ({code})")
        return got

    async def precreate(self, order: ChannelOrder) -> Precreated:
        timeout = datetime.now(HALL_TZ) + timedelta(seconds=order.timeout_s)
        form = {
            "MERCHANTID": self._merchant,
            "POSID": self._pos,
            "BRANCHID": self._branch,
            "ORDERID": order.out_trade_no,
            "PAYMENT": yuan(order.amount_fen),
            "CURCODE": "01",
            "TXCODE": "530550",
            "REMARK1": "",
            "REMARK2": "",
            "RETURNTYPE": "3",
            "TIMEOUT": timeout.strftime("%Y%m%d%H%M%S"),
        }
        form["MAC"] = ccb_mac(form, self._public)
        form["NOTIFY_URL"] = order.notify_url  # not in the MAC: see the module docstring
        first = await self._get_json("order", "POST", self._url + "/CCBIS/ccbMain", data=form)
        second = await self._get_json("qr", "GET", str(first.get("PAYURL", "")))
        log.info("ccb trade %s opened", order.out_trade_no)
        return Precreated(qr_content=str(second["QRURL"]))

    async def _tx(self, code: str, info: dict[str, str]) -> ElementTree.Element:
        body = tx_request(
            secrets.token_hex(8), (self._merchant, self._user, self._password), code, info
        )
        try:
            answer = await self._http.post(
                self._extranet, content=body, headers={"Content-Type": "application/xml"}
            )
            tx = parse_tx(answer.content)
        except httpx.TimeoutException as exc:
            raise ChannelError("ccb", f"{code}: no answer in time") from exc
        except httpx.HTTPError as exc:
            raise ChannelError("ccb", f"{code}: {type(exc).__name__}") from exc
        except ValueError as exc:
            raise ChannelError("ccb", f"{code}: malformed answer") from exc
        rc = tx.findtext("RETURN_CODE", "")
        if rc != "000000":
            log.warning("ccb %s refused: %s", code, rc)
            raise ChannelError("ccb", f"{code}: {rc} {tx.findtext('RETURN_MSG', '')}")
        info_node = tx.find("TX_INFO")
        return info_node if info_node is not None else ElementTree.Element("TX_INFO")

    async def query(self, out_trade_no: str) -> TradeStatus:
        info = await self._tx("5W1002", {"ORDER": out_trade_no, "KIND": "0", "STATUS": "3"})
        row = info.find("LIST")
        if row is None:
            raise ChannelError("ccb", "5W1002: no LIST in the answer")
        state = _STATES.get(row.findtext("ORDER_STATUS", ""))
        if state is None:
            raise ChannelError(
                "ccb", f"5W1002: unknown ORDER_STATUS {row.findtext('ORDER_STATUS')}"
            )
        try:
            amount = fen_of(row.findtext("PAYMENT_MONEY", "0"))
            paid_at = parse_ccb_time(row.findtext("TRAN_DATE", ""))
        except ValueError as exc:
            raise ChannelError("ccb", "5W1002: malformed LIST") from exc
        return TradeStatus(out_trade_no, state, row.findtext("BANK_SERIAL", ""), amount, paid_at)

    async def close(self, out_trade_no: str) -> None:
        status = await self.query(out_trade_no)
        if status.state in ("paid", "refunded"):
            raise ChannelError("ccb", f"close: {out_trade_no} is already paid")

    async def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, reason: str
    ) -> Refunded:
        info = {"MONEY": yuan(amount_fen), "ORDER": out_trade_no, "REFUND_CODE": out_refund_no}
        got = await self._tx("5W1004", info)
        try:
            amount = fen_of(got.findtext("AMOUNT", ""))
            at = parse_ccb_time(got.findtext("REFUND_TIME", "")) or datetime.now(HALL_TZ)
        except ValueError as exc:
            raise ChannelError("ccb", "5W1004: malformed answer") from exc
        return Refunded(out_refund_no, amount, at)

    def verify_notify(
        self, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> Notification:
        """CCB's server notification: ``SIGN`` (MD5withRSA, hex) over its fields in order."""
        try:
            text = body.decode("utf-8")
            fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ForgedNotification("ccb", "not a form body") from exc
        if not ccb_verify_notify(self._public, fields):
            raise ForgedNotification("ccb", "the signature does not verify")
        try:
            amount = fen_of(fields["PAYMENT"])
            accdate = fields.get("ACCDATE", "")
            paid_at = (
                datetime.strptime(accdate, "%Y%m%d").replace(tzinfo=HALL_TZ) if accdate else None
            )
            status = TradeStatus(
                fields["ORDERID"],
                "paid" if fields["SUCCESS"] == "Y" else "closed",
                "",
                amount,
                paid_at,
            )
        except (KeyError, ValueError) as exc:
            raise ForgedNotification("ccb", "signed but not a payment notice") from exc
        # CCB gives no notification id: repeats of one are the same order, result and date
        return Notification(status, f"{fields['ORDERID']}:{fields['SUCCESS']}:{accdate}")

    def notify_reply(self, accepted: bool) -> tuple[int, str, bytes]:
        """CCB retries until it gets HTTP 200."""
        return (200, "text/plain", b"SUCCESS") if accepted else (400, "text/plain", b"FAIL")

    async def statement(self, day: date) -> list[StatementLine]:
        info = await self._tx("6W0111", {"DATE": day.strftime("%Y%m%d")})
        try:
            text = base64.b64decode(info.findtext("FILE_CONTENT", ""), validate=True).decode(
                "gb18030"
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise ChannelError("ccb", "6W0111: the statement file is not readable") from exc
        return parse_ccb_statement(text)

    async def aclose(self) -> None:
        await self._http.aclose()


def parse_ccb_statement(text: str) -> list[StatementLine]:
    """``ORDERID|BANK_SERIAL|TYPE|AMOUNT|TIME|REFUND_CODE`` lines after a header."""
    lines = []
    for row in text.splitlines()[1:]:
        if not row.strip():
            continue
        try:
            no, serial, kind, amount, at, refund_no = row.split("|")
            when = parse_ccb_time(at)
            if kind not in ("PAY", "REFUND") or when is None:
                raise ValueError(kind)
            fen = fen_of(amount)
        except ValueError as exc:
            raise ChannelError("ccb", "statement: a line is not in the expected form") from exc
        lines.append(
            StatementLine(no, serial, "pay" if kind == "PAY" else "refund", fen, when, refund_no)
        )
    return lines


def build_ccb(settings: Settings) -> CcbChannel | None:
    if not settings.ccb_gateway_url:
        return None
    return CcbChannel(
        settings.ccb_gateway_url,
        settings.ccb_extranet_url,
        (settings.ccb_merchant_id, settings.ccb_pos_id, settings.ccb_branch_id),
        settings.ccb_public_key,
        (settings.ccb_user_id, settings.ccb_password.get_secret_value()),
        settings.bank_timeout_s,
    )
