"""A simulated Alipay open-platform gateway (docs/pay-alipay.md "The simulator").

``POST /gateway.do`` (form or query parameters, as Alipay takes them) answers
``alipay.trade.precreate``, ``.query``, ``.close``, ``.refund``,
``alipay.trade.fastpay.refund.query`` and ``alipay.data.dataservice.bill.downloadurl.query``:
the request's RSA2 signature is verified with the app's public key
(``isv.invalid-signature`` and the like come back unsigned, as Alipay's do), the answer's
``<method>_response`` node is signed with the gateway's key. The QR code opens
``GET /pay/{qr}`` (the "phone": confirm or cancel); payments, closes and refunds are notified
to the trade's ``notify_url``; the statement file is served at
``/downloadBillFile.resource`` for 30 s after its URL is asked for.

Faults (set them on a running simulator): ``stall_s`` holds every answer (the client's
timeout), ``maintenance`` answers ``20000 isp.unknow-error``, ``malformed`` a cut-off body,
``wrong_answer_key`` signs answers with another key; ``notify_delay_s`` holds notifications
back (a late notify), ``notify_repeats`` sends each one again that many times, and
:meth:`AlipayGatewaySim.send_forged` / :meth:`send_stranger` post a forged notification or one
for an order the merchant never had. Runs on loopback (``async with AlipayGatewaySim() as
sim``) or by itself (``kfleet sim alipay``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from simulators.alipay_gateway_bill import BillRow, bill_archive, rows_of
from simulators.alipay_gateway_control import add_control
from simulators.alipay_gateway_notify import Postman, Sent, notify_fields, signed
from simulators.alipay_gateway_page import cashier, unknown, waiting_list
from simulators.alipay_gateway_sign import (
    bare_public,
    new_key,
    public_from_bare,
    signed_answer,
    unsigned,
    verify,
)
from simulators.alipay_gateway_trades import (
    CHINA,
    Node,
    Trade,
    TradeBook,
    failed,
    now_utc,
    ok,
    refund_query,
)
from simulators.http_runner import stop_runner

GATEWAY_PATH = "/gateway.do"
BILL_PATH = "/downloadBillFile.resource"
BILL_METHOD = "alipay.data.dataservice.bill.downloadurl.query"
REFUND_QUERY = "alipay.trade.fastpay.refund.query"
METHODS = (
    *("alipay.trade.precreate", "alipay.trade.query", "alipay.trade.close"),
    *("alipay.trade.refund", REFUND_QUERY, BILL_METHOD),
)


@dataclass
class AlipayGatewaySim:
    #: app_id → the app's RSA2 public key (one-line base64, as uploaded to Alipay's console)
    apps: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    port: int = 0
    #: the base of QR and statement URLs (default: where it listens)
    public_url: str = ""
    pid: str = "2088102177846880"
    key: rsa.RSAPrivateKey = field(default_factory=new_key)
    stall_s: float = 0.0
    maintenance: bool = False
    malformed: bool = False
    wrong_answer_key: bool = False
    notify_delay_s: float = 0.0
    notify_repeats: int = 0
    #: serve today's (partial) statement too; Alipay has a day's file the next morning
    bills_same_day: bool = False
    #: extra statement lines (a test's planted mismatch)
    planted: list[tuple[date, BillRow]] = field(default_factory=list)
    book: TradeBook = field(default_factory=TradeBook)
    #: (method, code, sub_code) of every gateway answer, in order
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    url: str = ""
    postman: Postman = field(default_factory=Postman)
    _bills: dict[str, tuple[str, date, float]] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _runner: web.AppRunner | None = None

    @property
    def public_key(self) -> str:
        """The gateway's public key (支付宝公钥), one-line base64: the cloud's setting."""
        return bare_public(self.key.public_key())

    async def __aenter__(self) -> AlipayGatewaySim:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", GATEWAY_PATH, self._gateway)
        app.router.add_get("/", self._waiting)
        app.router.add_get("/pay/{qr}", self._phone)
        app.router.add_post("/pay/{qr}", self._phone_choice)
        app.router.add_get(BILL_PATH, self._bill)
        add_control(app, self)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{self.host}:{port}"
        self.public_url = self.public_url or self.url
        self.book.qr_base = self.public_url
        self.postman.sent, self.postman.changed = self.sent, self.changed
        self._spawn(self._sweep())

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._runner is not None:
            await stop_runner(self._runner)
            self._runner = None

    # -- what a test (or the demo's person with a phone) does --------------------------------

    def trade(self, out_trade_no: str) -> Trade | None:
        return next((t for t in self.book.trades.values() if t.out_trade_no == out_trade_no), None)

    def qr_trade(self, qr_content: str) -> Trade | None:
        return self.book.by_qr.get(qr_content.rstrip("/").rsplit("/", 1)[-1])

    def pay(self, out_trade_no: str) -> bool:
        """The buyer scans and confirms (False: the trade is not waiting)."""
        trade = self.trade(out_trade_no)
        return trade is not None and self._pay(trade)

    def cancel(self, out_trade_no: str) -> bool:
        """The buyer gives up on the phone. Alipay would leave the trade open until its
        timeout; the simulator closes it at once (and notifies) so the demo need not wait."""
        trade = self.trade(out_trade_no)
        return trade is not None and self._cancel(trade)

    def _pay(self, trade: Trade) -> bool:
        if not self.book.pay(trade, now_utc()):
            return False
        self._notify(trade)
        return True

    def _cancel(self, trade: Trade) -> bool:
        if not self.book.shut(trade, now_utc()):
            return False
        self._notify(trade)
        return True

    def resend(self, out_trade_no: str) -> None:
        """The trade's last notification again, same ``notify_id`` (a duplicate)."""
        last = next(s for s in reversed(self.sent) if s.out_trade_no == out_trade_no)
        trade = self.trade(out_trade_no)
        assert trade is not None
        fields = self._fields(trade) | {"notify_id": last.notify_id}
        self._post(trade.notify_url, signed(fields, self.key), "")

    def send_forged(self, out_trade_no: str, how: str = "key") -> None:
        """A notification that Alipay did not send: signed with another key (``key``) or
        with its amount changed after signing (``amount``)."""
        trade = self.trade(out_trade_no)
        assert trade is not None
        fields = self._fields(trade) | {"trade_status": "TRADE_SUCCESS"}
        if how == "key":
            self._post(trade.notify_url, signed(fields, new_key()), how)
        else:
            self._post(trade.notify_url, signed(fields, self.key) | {"total_amount": "0.01"}, how)

    def send_stranger(self, notify_url: str, app_id: str, out_trade_no: str) -> None:
        """A genuine, signed notification for an order the merchant never made."""
        now = now_utc()
        ghost = Trade(app_id, out_trade_no, 100, "?", notify_url, "", now, now + timedelta(hours=2))
        self.book.pay(ghost, now)
        self._post(notify_url, signed(notify_fields(ghost, self.pid, now), self.key), "")

    async def wait_sent(self, predicate: Callable[[Sent], bool]) -> None:
        """Until a delivery attempt satisfies ``predicate(sent)`` (callers bound the wait)."""
        async with self.changed:
            await self.changed.wait_for(lambda: any(predicate(s) for s in self.sent))

    # -- the gateway ----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        method = params.get("method", "")
        node, signed_by = self._answer(method, params)
        self.requests.append((method, str(node.get("code")), str(node.get("sub_code", ""))))
        name = method.replace(".", "_") + "_response" if method in METHODS else "error_response"
        if self.wrong_answer_key and signed_by is not None:
            signed_by = new_key()
        text = signed_answer(signed_by, name, node)
        if self.malformed:
            text = text[: len(text) // 2]
        return web.Response(text=text, content_type="application/json", charset="utf-8")

    def _answer(self, method: str, params: dict[str, str]) -> tuple[Node, rsa.RSAPrivateKey | None]:
        """The answer node and the key it is signed with (None: unsigned)."""
        if method not in METHODS:
            return failed("isv.invalid-method", "不存在的方法名", "40002"), None
        app_key = self.apps.get(params.get("app_id", ""))
        if app_key is None:
            return failed("isv.invalid-app-id", "无效的AppID参数", "40002"), None
        if params.get("sign_type") != "RSA2" or not verify(
            public_from_bare(app_key), unsigned(params, ("sign",)), params.get("sign", "")
        ):
            return failed("isv.invalid-signature", "验签出错", "40002"), None
        if not _timestamp_ok(params.get("timestamp", "")):
            return failed("isv.invalid-timestamp", "非法的时间戳参数", "40002"), None
        if self.maintenance:
            return failed("isp.unknow-error", "系统繁忙", "20000") | {
                "msg": "Service Currently Unavailable"
            }, self.key
        try:
            biz = json.loads(params.get("biz_content", ""))
        except ValueError:
            biz = None
        if not isinstance(biz, dict):
            return failed("isv.invalid-parameter", "biz_content 不是 JSON 对象", "40002"), self.key
        return self._business(method, params, biz), self.key

    def _business(self, method: str, params: dict[str, str], biz: Node) -> Node:
        app_id, now = params["app_id"], now_utc()
        if method == "alipay.trade.precreate":
            return self.book.precreate(app_id, biz, params.get("notify_url", ""), now)
        if method == "alipay.trade.query":
            return self.book.query(app_id, biz)
        if method == "alipay.trade.close":
            node, closed = self.book.close(app_id, biz, now)
            if closed is not None:
                self._notify(closed)
            return node
        if method == "alipay.trade.refund":
            node, refunded = self.book.refund(app_id, biz, now)
            if refunded is not None:
                self._notify(refunded, str(biz.get("out_request_no") or refunded.out_trade_no))
            return node
        if method == REFUND_QUERY:
            return refund_query(self.book, app_id, biz)
        return self._bill_url(app_id, biz)

    def _bill_url(self, app_id: str, biz: Node) -> Node:
        try:
            day = date.fromisoformat(str(biz.get("bill_date", "")))
        except ValueError:
            return failed("isv.invalid-parameter", "bill_date 格式应为 yyyy-MM-dd", "40002")
        if biz.get("bill_type") != "trade":
            return failed("isv.invalid-parameter", "本模拟器只提供 trade 账单", "40002")
        today = now_utc().astimezone(CHINA).date()
        if day > today or (day == today and not self.bills_same_day):
            return failed("isp.bill_not_exist", "账单不存在")
        token = secrets.token_hex(16)
        self._bills[token] = (app_id, day, time.monotonic() + 30)
        ms = int(time.time() * 1000)
        url = (
            f"{self.public_url}{BILL_PATH}?bizType=trade&userId={self.pid}&fileType=csv.zip"
            f"&bizDates={day:%Y%m%d}&downloadFileName={self.pid}_{day:%Y%m%d}.csv.zip"
            f"&fileId=%2Ftrade%2F{self.pid}%2F{day:%Y%m%d}&timestamp={ms}&token={token}"
        )
        return ok(bill_download_url=url)

    async def _bill(self, request: web.Request) -> web.StreamResponse:
        ticket = self._bills.get(request.query.get("token", ""))
        if ticket is None or ticket[2] < time.monotonic():
            return web.Response(status=404, text="链接已失效")
        app_id, day, _ = ticket
        trades = [t for t in self.book.trades.values() if t.app_id == app_id]
        rows = rows_of(trades, day) + [row for d, row in self.planted if d == day]
        archive = bill_archive(self.pid, day, rows, now_utc())
        name = f"{self.pid}_{day:%Y%m%d}.csv.zip"
        return web.Response(
            body=archive,
            content_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # -- the phone --------------------------------------------------------------------------

    async def _waiting(self, request: web.Request) -> web.StreamResponse:
        open_ = [
            t for t in self.book.trades.values() if t.status in ("PRECREATED", "WAIT_BUYER_PAY")
        ]
        open_.sort(key=lambda t: t.created_at, reverse=True)
        return web.Response(text=waiting_list(open_), content_type="text/html")

    async def _phone(self, request: web.Request) -> web.StreamResponse:
        trade = self.book.by_qr.get(request.match_info["qr"])
        if trade is None:
            return web.Response(status=404, text=unknown(), content_type="text/html")
        self.book.scan(trade, now_utc())
        return web.Response(text=cashier(trade), content_type="text/html")

    async def _phone_choice(self, request: web.Request) -> web.StreamResponse:
        trade = self.book.by_qr.get(request.match_info["qr"])
        if trade is None:
            return web.Response(status=404, text=unknown(), content_type="text/html")
        action = (await request.post()).get("action")
        if action == "confirm":
            self._pay(trade)
        elif action == "cancel":
            self._cancel(trade)
        return web.Response(text=cashier(trade), content_type="text/html")

    # -- notifications ------------------------------------------------------------------------

    def _fields(self, trade: Trade, refund_no: str = "") -> dict[str, str]:
        return notify_fields(trade, self.pid, now_utc(), refund_no)

    def _notify(self, trade: Trade, refund_no: str = "") -> None:
        if trade.notify_url:
            self._post(trade.notify_url, signed(self._fields(trade, refund_no), self.key), "")

    def _post(self, url: str, fields: dict[str, str], forged: str) -> None:
        repeats = 0 if forged else self.notify_repeats
        self._spawn(self.postman.deliver(url, fields, forged, repeats, self.notify_delay_s))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sweep(self) -> None:
        """Closes trades whose ``timeout_express`` ran out; scanned ones are notified."""
        while True:
            await asyncio.sleep(0.5)
            for trade in self.book.expired(now_utc()):
                self._notify(trade)


def _timestamp_ok(value: str) -> bool:
    """``yyyy-MM-dd HH:mm:ss`` Beijing time, within a day of the gateway's clock."""
    try:
        at = datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=CHINA)
    except ValueError:
        return False
    return abs(at - now_utc()) < timedelta(days=1)
