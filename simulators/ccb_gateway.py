"""A simulated CCB gateway (建设银行 网上支付/聚合支付二维码 and the 商户外联平台), signing and
verifying as the real one (``protocols.bank_sign``; docs/pay-banks.md "CCB").

- ``POST /CCBIS/ccbMain`` (form: MERCHANTID, POSID, BRANCHID, ORDERID, PAYMENT in yuan,
  CURCODE=01, TXCODE=530550, REMARK1, REMARK2, RETURNTYPE=3, TIMEOUT, MAC = MD5 with the public
  key's last 30 characters) → ``{"SUCCESS": "true", "PAYURL": ...}``; ``GET`` that PAYURL →
  ``{"SUCCESS": "true", "QRURL": ...}`` (the QR's content: the phone page here).
- ``POST /extranet``: the 外联平台 client's XML (``<TX>`` with CUST_ID, USER_ID, PASSWORD,
  TX_CODE): 5W1002 query, 5W1004 refund, 6W0111 the day's statement; RETURN_CODE 000000 is
  success.
- A paid trade is notified to the merchant's registered URL (``notify_url``; the order's
  ``NOTIFY_URL`` when none is registered, a simulator convenience) as a form POST whose
  ``SIGN`` is MD5withRSA (hex) over the documented fields; retried until HTTP 2xx, repeated,
  late or forged on demand.

Faults (``faults.fail_next(kind)``): ``timeout``, ``maintenance`` (HTTP 503 page), ``malformed``
(garbage), ``bad_signature`` (the next notification signed with another key).
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

from aiohttp import web

from protocols.bank_sign import ccb_mac, ccb_sign_notify, new_key_pair, public_hex
from simulators.bank_gateway_common import (
    HALL_TZ,
    GatewayFaults,
    Notifier,
    SimRefund,
    SimTrade,
    TradeBook,
    control_routes,
    new_trade,
    phone_routes,
    stall,
)
from simulators.http_runner import stop_runner

#: ORDER_STATUS of 5W1002: 0 failed/closed, 1 paid, 2 waiting, 3 part refunded, 4 refunded
ORDER_STATUS = {"closed": "0", "paid": "1", "waiting": "2", "refunded": "4"}


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fen_of(text: str) -> int:
    value = Decimal(text)
    if value != value.quantize(Decimal("0.01")) or value <= 0:
        raise ValueError(f"not an amount: {text!r}")
    return int(value * 100)


def ccb_time(at: datetime) -> str:
    return at.astimezone(HALL_TZ).strftime("%Y%m%d%H%M%S")


def xml_of(root: str, fields: dict[str, Any]) -> bytes:
    """A flat-ish ``<TX>`` document (nested dicts become elements, lists repeat a tag)."""

    def add(parent: ElementTree.Element, name: str, value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                add(parent, name, item)
            return
        node = ElementTree.SubElement(parent, name)
        if isinstance(value, dict):
            for k, v in value.items():
                add(node, k, v)
        else:
            node.text = str(value)

    top = ElementTree.Element(root)
    for name, value in fields.items():
        add(top, name, value)
    text = ElementTree.tostring(top, encoding="unicode")
    return ('<?xml version="1.0" encoding="GB2312" standalone="yes" ?>' + text).encode("gb18030")


def parse_xml(body: bytes) -> ElementTree.Element:
    """A GB2312 ``<TX>`` document; DTDs refused (no entity expansion from a peer)."""
    text = body.decode("gb18030")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("DTD refused")
    if text.startswith("<?xml"):
        text = text[text.index("?>") + 2 :]
    return ElementTree.fromstring(text)


@dataclass
class CcbGatewaySim:
    """``async with CcbGatewaySim(merchant_id=..., pos_id=..., branch_id=...) as sim``."""

    merchant_id: str = "105000000000001"
    pos_id: str = "000000001"
    branch_id: str = "630000000"
    user_id: str = "KF01"
    password: str = "sim-ccb-password"
    #: the URL the merchant registered for server notifications at CCB
    notify_url: str = ""
    book: TradeBook = field(default_factory=TradeBook)
    faults: GatewayFaults = field(default_factory=GatewayFaults)
    url: str = ""
    host: str = "127.0.0.1"
    port: int = 0
    #: CCB's key pair for this merchant; the merchant is given ``public_key_hex``
    private_pem: str = ""
    public_key_hex: str = ""
    _other_private_pem: str = ""
    _forge_next: bool = False
    _notify_hint: dict[str, str] = field(default_factory=dict)
    _trade_nos: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    notifier: Notifier = field(init=False)

    def __post_init__(self) -> None:
        if not self.private_pem:
            self.private_pem, public_pem = new_key_pair(1024)
            self.public_key_hex = public_hex(public_pem)
        self._other_private_pem = new_key_pair(1024)[0]
        self.notifier = Notifier(
            self.book, self._notification, lambda status, _body: 200 <= status < 300
        )

    async def __aenter__(self) -> CcbGatewaySim:
        app = web.Application()
        app.router.add_post("/CCBIS/ccbMain", self._order)
        app.router.add_get("/CCBIS/qr/{token}", self._qr_url)
        app.router.add_post("/extranet", self._extranet)
        phone_routes(app, "中国建设银行 CCB", self.book, self._paid)
        control_routes(app, self.book, self.notifier)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._released.set()
        await self.notifier.aclose()
        if self._runner is not None:
            await stop_runner(self._runner)

    def _paid(self, trade: SimTrade) -> None:
        forged, self._forge_next = self._forge_next, False
        self.notifier.send(trade, forged=forged)

    async def _fault(self) -> web.Response | None:
        fault = self.faults.take()
        if fault == "timeout":
            await stall(self.faults, self._released)
        if fault == "maintenance":
            return web.Response(status=503, text="<html>系统维护中</html>")
        if fault == "malformed":
            return web.Response(status=200, text="<html>?")
        if fault == "bad_signature":
            self._forge_next = True
        return None

    # --- 聚合支付 order ------------------------------------------------------------------

    async def _order(self, request: web.Request) -> web.Response:
        refusal = await self._fault()
        if refusal is not None:
            return refusal
        form = {k: str(v) for k, v in (await request.post()).items()}
        mine = (form.get("MERCHANTID"), form.get("POSID"), form.get("BRANCHID"))
        if mine != (self.merchant_id, self.pos_id, self.branch_id):
            return web.json_response({"SUCCESS": "false", "ERRCODE": "0130Z1101001"})
        if form.get("MAC") != ccb_mac(form, self.public_key_hex):
            return web.json_response({"SUCCESS": "false", "ERRCODE": "0130Z1101002"})
        try:
            amount, order_id = fen_of(form["PAYMENT"]), form["ORDERID"]
            expires = datetime.strptime(form["TIMEOUT"], "%Y%m%d%H%M%S").replace(tzinfo=HALL_TZ)
            if form.get("TXCODE") != "530550" or form.get("CURCODE") != "01":
                raise ValueError("TXCODE/CURCODE")
        except (KeyError, ValueError, InvalidOperation):
            return web.json_response({"SUCCESS": "false", "ERRCODE": "0130Z1101003"})
        known = self.book.trades.get(order_id)
        if known is not None and known.amount_fen != amount:
            return web.json_response({"SUCCESS": "false", "ERRCODE": "0130Z1101005"})
        timeout_s = max(1, int((expires - self.book.clock()).total_seconds()))
        trade = new_trade(
            self.book,
            order_id,
            amount,
            form.get("REMARK1", ""),
            form.get("NOTIFY_URL", ""),
            timeout_s,
            secrets.token_urlsafe(12),
            f"CCB{next(self._trade_nos):012d}",
        )
        pay_url = f"{self.url}/CCBIS/qr/{trade.qr}"
        return web.json_response({"SUCCESS": "true", "PAYURL": pay_url})

    async def _qr_url(self, request: web.Request) -> web.Response:
        trade = self.book.by_qr(request.match_info["token"])
        if trade is None:
            return web.json_response({"SUCCESS": "false", "ERRCODE": "0130Z1101006"})
        return web.json_response({"SUCCESS": "true", "QRURL": f"{self.url}/pay/{trade.qr}"})

    # --- notifications ------------------------------------------------------------------

    def _notification(self, trade: SimTrade, forged: bool) -> tuple[bytes, str]:
        if self.notify_url:
            trade.notify_url = self.notify_url
        fields = {
            "POSID": self.pos_id,
            "BRANCHID": self.branch_id,
            "ORDERID": trade.out_trade_no,
            "PAYMENT": yuan(trade.amount_fen),
            "CURCODE": "01",
            "REMARK1": trade.subject,
            "REMARK2": "",
            "ACC_TYPE": "12",
            "SUCCESS": "Y",
            "TYPE": "1",
            "REFERER": "",
            "CLIENTIP": "",
            "ACCDATE": (trade.paid_at or self.book.clock()).astimezone(HALL_TZ).strftime("%Y%m%d"),
        }
        key = self._other_private_pem if forged else self.private_pem
        fields["SIGN"] = ccb_sign_notify(key, fields)
        return urlencode(fields).encode("utf-8"), "application/x-www-form-urlencoded"

    # --- 外联平台 ------------------------------------------------------------------------

    async def _extranet(self, request: web.Request) -> web.Response:
        refusal = await self._fault()
        if refusal is not None:
            return refusal
        try:
            tx = parse_xml(await request.read())
            sn, code = tx.findtext("REQUEST_SN", ""), tx.findtext("TX_CODE", "")
            info = tx.find("TX_INFO")
        except (ValueError, ElementTree.ParseError, UnicodeDecodeError):
            return self._tx("", "", "0130Z0100001", "报文格式错误", {})
        who = (tx.findtext("CUST_ID"), tx.findtext("USER_ID"), tx.findtext("PASSWORD"))
        if who != (self.merchant_id, self.user_id, self.password):
            return self._tx(sn, code, "0130Z0100002", "操作员或密码错误", {})
        try:
            result = self._operate(code, info if info is not None else ElementTree.Element("X"))
        except (KeyError, ValueError, InvalidOperation) as exc:
            return self._tx(sn, code, "0130Z0100003", f"参数错误: {exc}", {})
        return self._tx(sn, code, *result)

    def _tx(self, sn: str, code: str, rc: str, msg: str, info: dict[str, Any]) -> web.Response:
        fields: dict[str, Any] = {"REQUEST_SN": sn, "CUST_ID": self.merchant_id, "TX_CODE": code}
        fields |= {"RETURN_CODE": rc, "RETURN_MSG": msg, "LANGUAGE": "CN", "TX_INFO": info}
        return web.Response(body=xml_of("TX", fields), content_type="application/xml")

    def _operate(self, code: str, info: ElementTree.Element) -> tuple[str, str, dict[str, Any]]:
        if code == "6W0111":
            return self._statement(info.findtext("DATE", ""))
        trade = self.book.trades.get(info.findtext("ORDER", ""))
        if code not in ("5W1002", "5W1004"):
            return "0130Z0100004", f"交易码{code}不支持", {}
        if trade is None:
            return "0130Z0100005", "流水记录不存在", {}
        self.book.expire(trade)
        if code == "5W1002":
            row = {
                "ORDER": trade.out_trade_no,
                "TRAN_DATE": ccb_time(trade.paid_at) if trade.paid_at else "",
                "PAYMENT_MONEY": yuan(trade.amount_fen),
                "REFUND_MONEY": yuan(trade.refunded_fen),
                "ORDER_STATUS": self._status_code(trade),
                "BANK_SERIAL": trade.trade_no,
            }
            return "000000", "", {"CUR_PAGE": "1", "PAGE_COUNT": "1", "LIST": [row]}
        return self._refund(
            trade, info.findtext("REFUND_CODE", ""), fen_of(info.findtext("MONEY", ""))
        )

    @staticmethod
    def _status_code(trade: SimTrade) -> str:
        if trade.state == "paid" and trade.refunded_fen:
            return "3"
        return ORDER_STATUS[trade.state]

    def _refund(
        self, trade: SimTrade, refund_no: str, amount: int
    ) -> tuple[str, str, dict[str, Any]]:
        done = trade.refunds.get(refund_no)
        if not refund_no:
            return "0130Z0100003", "REFUND_CODE必填", {}
        if done is None:
            if trade.state not in ("paid", "refunded"):
                return "0130Z0100006", "订单未支付", {}
            if trade.refunded_fen + amount > trade.amount_fen:
                return "0130Z0100007", "退款金额超过可退金额", {}
            done = trade.refunds[refund_no] = SimRefund(refund_no, amount, self.book.clock())
            if trade.refunded_fen == trade.amount_fen:
                trade.state = "refunded"
        info = {"ORDER_NUM": trade.out_trade_no, "AMOUNT": yuan(done.amount_fen)}
        return "000000", "", info | {"REFUND_CODE": refund_no, "REFUND_TIME": ccb_time(done.at)}

    def _statement(self, day_text: str) -> tuple[str, str, dict[str, Any]]:
        day = datetime.strptime(day_text, "%Y%m%d").date()
        rows = ["ORDERID|BANK_SERIAL|TYPE|AMOUNT|TIME|REFUND_CODE"]
        for line in self.book.statement(day):
            kind = "PAY" if line.kind == "pay" else "REFUND"
            rows.append(
                f"{line.out_trade_no}|{line.trade_no}|{kind}|{yuan(line.amount_fen)}|"
                f"{ccb_time(line.at)}|{line.out_refund_no}"
            )
        content = base64.b64encode("\n".join(rows).encode("gb18030")).decode()
        return "000000", "", {"FILE_NAME": f"SHOP.{day:%Y%m%d}.txt", "FILE_CONTENT": content}
