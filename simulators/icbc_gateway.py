"""A simulated ICBC API开放平台 gateway (工行 二维码支付 V2), signing and verifying as the real one
(``protocols.bank_sign``; docs/pay-banks.md "ICBC").

Requests: ``POST /api/qrcode/V2/{generate,query,reverse,reject}`` and the statement
``/api/qrcode/V2/statement`` (form-urlencoded ``app_id, msg_id, format, charset, sign_type,
timestamp, biz_content, sign``; RSA2 over the path and the sorted parameters, checked with the
merchant's public key). Answers: ``{"response_biz_content": {...}, "sign": "..."}`` signed RSA
(SHA1withRSA) over the exact text of ``response_biz_content`` with the gateway's key;
``return_code`` 0 is success. A paid trade is notified to its ``notify_url`` (form POST signed
over the notify path and sorted fields), retried until the merchant answers a signed
``return_code`` 0, repeated ``notifier.repeats`` more times, late or forged on demand.

Faults (``faults.fail_next(kind)``): ``timeout``, ``maintenance`` (return_code 500022),
``bad_signature`` (an answer signed with another key), ``malformed`` (an HTML error page).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode, urlparse

from aiohttp import web

from protocols.bank_sign import (
    icbc_sign_gateway,
    icbc_sign_string,
    icbc_verify_reply,
    icbc_verify_request,
    new_key_pair,
)
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

API = "/api/qrcode/V2/"
#: pay_status values of the query (0 paid, 2 waiting, 3 closed/reversed, 4 refunded)
PAY_STATUS = {"paid": "0", "waiting": "2", "closed": "3", "refunded": "4"}


def icbc_time(at: datetime) -> str:
    return at.astimezone(HALL_TZ).strftime("%Y%m%d%H%M%S")


@dataclass
class IcbcGatewaySim:
    """``async with IcbcGatewaySim(apps={app_id: merchant_public_pem}) as sim: sim.url``."""

    apps: dict[str, str]
    mer_id: str = "020001234567890"
    book: TradeBook = field(default_factory=TradeBook)
    faults: GatewayFaults = field(default_factory=GatewayFaults)
    url: str = ""
    host: str = "127.0.0.1"
    port: int = 0
    #: the gateway's own key pair (the merchant is given ``gateway_public_pem``)
    gateway_private_pem: str = ""
    gateway_public_pem: str = ""
    _other_private_pem: str = ""
    _trade_nos: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    notifier: Notifier = field(init=False)

    def __post_init__(self) -> None:
        if not self.gateway_private_pem:
            self.gateway_private_pem, self.gateway_public_pem = new_key_pair()
        self._other_private_pem = new_key_pair()[0]
        self.notifier = Notifier(self.book, self._notification, self._reply_accepted)

    async def __aenter__(self) -> IcbcGatewaySim:
        app = web.Application()
        app.router.add_post(API + "{api:generate|query|reverse|reject|statement}", self._api)
        phone_routes(app, "中国工商银行 ICBC", self.book, self.notifier.send)
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

    def phone_url(self, qr: str) -> str:
        return f"{self.url}/pay/{qr}"

    # --- the API ------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        fault = self.faults.take()
        if fault == "timeout":
            await stall(self.faults, self._released)
        if fault == "malformed":
            return web.Response(status=200, text="<html>502 Bad Gateway</html>")
        params = {k: str(v) for k, v in (await request.post()).items()}
        if fault == "maintenance":
            return self._answer({"return_code": 500022, "return_msg": "系统维护中"}, params)
        biz = self._authentic_biz(request.path, params)
        if isinstance(biz, str):
            return self._answer({"return_code": 400017, "return_msg": biz}, params)
        try:
            result = self._operate(request.match_info["api"], biz)
        except (KeyError, ValueError, TypeError) as exc:
            result = {"return_code": 400011, "return_msg": f"参数错误: {exc}"}
        return self._answer(result, params, forged=fault == "bad_signature")

    def _authentic_biz(self, path: str, params: dict[str, str]) -> dict[str, Any] | str:
        key = self.apps.get(params.get("app_id", ""))
        if key is None:
            return "app_id不存在"
        if params.get("sign_type") != "RSA2" or not icbc_verify_request(key, path, params):
            return "验签失败"
        try:
            biz = json.loads(params.get("biz_content", ""))
        except ValueError:
            return "biz_content格式错误"
        return biz if isinstance(biz, dict) else "biz_content格式错误"

    def _answer(
        self, biz: dict[str, Any], params: dict[str, str], forged: bool = False
    ) -> web.Response:
        biz = {**biz, "msg_id": params.get("msg_id", "")}
        text = json.dumps(biz, ensure_ascii=False, separators=(",", ":"))
        key = self._other_private_pem if forged else self.gateway_private_pem
        sign = icbc_sign_gateway(key, text)
        body = '{"response_biz_content":' + text + ',"sign":"' + sign + '"}'
        return web.Response(text=body, content_type="application/json")

    def _operate(self, api: str, biz: dict[str, Any]) -> dict[str, Any]:
        if str(biz["mer_id"]) != self.mer_id:
            return {"return_code": 400012, "return_msg": "商户号不存在"}
        if api == "statement":
            return self._statement(str(biz["bill_date"]))
        if api == "generate":
            return self._generate(biz)
        trade = self.book.trades.get(str(biz["out_trade_no"]))
        if trade is None:
            return {"return_code": 400019, "return_msg": "订单不存在"}
        self.book.expire(trade)
        if api == "query":
            return self._status(trade)
        if api == "reverse":
            return self._reverse(trade)
        return self._reject(trade, str(biz["reject_no"]), int(str(biz["reject_amt"])))

    def _generate(self, biz: dict[str, Any]) -> dict[str, Any]:
        amount = int(str(biz["order_amt"]))
        if amount <= 0:
            return {"return_code": 400011, "return_msg": "order_amt必须大于0"}
        out_trade_no = str(biz["out_trade_no"])
        known = self.book.trades.get(out_trade_no)
        if known is not None and known.amount_fen != amount:
            return {"return_code": 400020, "return_msg": "订单号重复且金额不一致"}
        trade = new_trade(
            self.book,
            out_trade_no,
            amount,
            str(biz.get("attach", "")),
            str(biz["notify_url"]),
            int(str(biz.get("pay_expire", "1200"))),
            secrets.token_urlsafe(12),
            f"ICBC{next(self._trade_nos):012d}",
        )
        return {"return_code": 0, "return_msg": "success", "qrcode": self.phone_url(trade.qr)}

    def _status(self, trade: SimTrade) -> dict[str, Any]:
        return {
            "return_code": 0,
            "return_msg": "success",
            "pay_status": PAY_STATUS[trade.state],
            "out_trade_no": trade.out_trade_no,
            "order_id": trade.trade_no,
            "total_amt": str(trade.amount_fen),
            "pay_time": icbc_time(trade.paid_at) if trade.paid_at else "",
        }

    def _reverse(self, trade: SimTrade) -> dict[str, Any]:
        if trade.state in ("paid", "refunded"):
            return {"return_code": 400021, "return_msg": "订单已支付，不能冲正"}
        trade.state = "closed"
        return {"return_code": 0, "return_msg": "success"}

    def _reject(self, trade: SimTrade, reject_no: str, amount: int) -> dict[str, Any]:
        done = trade.refunds.get(reject_no)
        if done is None:
            if trade.state not in ("paid", "refunded"):
                return {"return_code": 400022, "return_msg": "订单未支付"}
            if amount <= 0 or trade.refunded_fen + amount > trade.amount_fen:
                return {"return_code": 400023, "return_msg": "退货金额超过可退金额"}
            done = trade.refunds[reject_no] = SimRefund(reject_no, amount, self.book.clock())
            if trade.refunded_fen == trade.amount_fen:
                trade.state = "refunded"
        return {
            "return_code": 0,
            "return_msg": "success",
            "reject_no": reject_no,
            "real_reject_amt": str(done.amount_fen),
            "reject_time": icbc_time(done.at),
        }

    def _statement(self, bill_date: str) -> dict[str, Any]:
        day = date(int(bill_date[:4]), int(bill_date[4:6]), int(bill_date[6:8]))
        rows = ["out_trade_no|order_id|type|amount|time|reject_no"]
        for line in self.book.statement(day):
            kind = "PAY" if line.kind == "pay" else "REJECT"
            rows.append(
                f"{line.out_trade_no}|{line.trade_no}|{kind}|{line.amount_fen}|"
                f"{icbc_time(line.at)}|{line.out_refund_no}"
            )
        return {"return_code": 0, "return_msg": "success", "file_content": "\n".join(rows)}

    # --- notifications ------------------------------------------------------------------

    def _notification(self, trade: SimTrade, forged: bool) -> tuple[bytes, str]:
        biz = {
            "return_code": 0,
            "return_msg": "success",
            "msg_id": secrets.token_hex(8),
            "mer_id": self.mer_id,
            "out_trade_no": trade.out_trade_no,
            "order_id": trade.trade_no,
            "total_amt": str(trade.amount_fen),
            "pay_time": icbc_time(trade.paid_at or self.book.clock()),
        }
        params = {
            "from": "ICBC-API",
            "api": API + "generate",
            "app_id": next(iter(self.apps), ""),
            "charset": "UTF-8",
            "format": "json",
            "timestamp": self.book.clock().astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
            "sign_type": "RSA",
        }
        key = self._other_private_pem if forged else self.gateway_private_pem
        text = icbc_sign_string(urlparse(trade.notify_url).path, params)
        params["sign"] = icbc_sign_gateway(key, text)
        return urlencode(params).encode(), "application/x-www-form-urlencoded"

    def _reply_accepted(self, status: int, body: bytes) -> bool:
        """The merchant's answer: ``response_biz_content`` with return_code 0, signed RSA2
        by the merchant (any app's key)."""
        if status != 200:
            return False
        text = body.decode("utf-8", "replace")
        start, end = text.find('"response_biz_content":'), text.rfind(',"sign_type"')
        if start < 0 or end < 0:
            return False
        biz_text = text[start + len('"response_biz_content":') : end]
        try:
            answer = json.loads(text)
            biz = json.loads(biz_text)
        except ValueError:
            return False
        sign = str(answer.get("sign", ""))
        signed = any(icbc_verify_reply(key, biz_text, sign) for key in self.apps.values())
        return signed and isinstance(biz, dict) and biz.get("return_code") == 0
