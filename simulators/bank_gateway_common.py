"""What the ICBC and CCB gateway simulators share: the trades a bank keeps, the "phone" page the
person trying the demo opens from the kiosk's QR to confirm or cancel, the asynchronous
notifications (repeated, late or forged on demand, retried until the merchant accepts), the
day's statement and the fault switches. The wire formats live in ``icbc_gateway*.py`` and
``ccb_gateway*.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import httpx
from aiohttp import web

log = logging.getLogger(__name__)
HALL_TZ = ZoneInfo("Asia/Shanghai")
FaultKind = Literal["timeout", "maintenance", "bad_signature", "malformed"]
TradeState = Literal["waiting", "paid", "closed", "refunded"]


@dataclass
class SimRefund:
    out_refund_no: str
    amount_fen: int
    at: datetime


@dataclass
class SimTrade:
    out_trade_no: str
    amount_fen: int
    subject: str
    notify_url: str
    qr: str
    trade_no: str
    created: datetime
    expires: datetime
    state: TradeState = "waiting"
    paid_at: datetime | None = None
    refunds: dict[str, SimRefund] = field(default_factory=dict)

    @property
    def refunded_fen(self) -> int:
        return sum(r.amount_fen for r in self.refunds.values())


@dataclass(frozen=True)
class SimStatementLine:
    out_trade_no: str
    trade_no: str
    kind: Literal["pay", "refund"]
    amount_fen: int
    at: datetime
    out_refund_no: str = ""


@dataclass(frozen=True)
class Delivery:
    """One notification POSTed to the merchant and what it answered."""

    out_trade_no: str
    status: int
    accepted: bool
    forged: bool


@dataclass
class GatewayFaults:
    """``fail_next(kind, n)``: the next n API requests answer with that fault."""

    pending: list[FaultKind] = field(default_factory=list)
    #: how long a ``timeout`` holds its answer (the client gives up first)
    stall_s: float = 30.0

    def fail_next(self, kind: FaultKind, n: int = 1) -> None:
        self.pending.extend([kind] * n)

    def take(self) -> FaultKind | None:
        return self.pending.pop(0) if self.pending else None


#: builds a notification's body and content type for one trade (forged: a wrong signature)
NotifyBuilder = Callable[[SimTrade, bool], tuple[bytes, str]]
#: whether the merchant's answer (status, body) accepts the notification
ReplyCheck = Callable[[int, bytes], bool]


@dataclass
class TradeBook:
    """The bank's trades and everything the simulator did with them."""

    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    trades: dict[str, SimTrade] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    #: statement lines added or changed by a test (a planted mismatch)
    planted: list[SimStatementLine] = field(default_factory=list)
    amount_overrides: dict[str, int] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def by_qr(self, qr: str) -> SimTrade | None:
        return next((t for t in self.trades.values() if t.qr == qr), None)

    def expire(self, trade: SimTrade) -> SimTrade:
        if trade.state == "waiting" and self.clock() >= trade.expires:
            trade.state = "closed"
        return trade

    async def note(self, delivery: Delivery) -> None:
        async with self.changed:
            self.deliveries.append(delivery)
            self.changed.notify_all()

    async def wait_deliveries(self, count: int) -> None:
        """Until ``count`` notifications were delivered (callers bound the wait)."""
        async with self.changed:
            await self.changed.wait_for(lambda: len(self.deliveries) >= count)

    def statement(self, day: date) -> list[SimStatementLine]:
        """The day's payments and refunds (hall time), plus whatever a test planted."""
        lines: list[SimStatementLine] = []
        for t in self.trades.values():
            if t.paid_at is not None and t.paid_at.astimezone(HALL_TZ).date() == day:
                amount = self.amount_overrides.get(t.out_trade_no, t.amount_fen)
                lines.append(SimStatementLine(t.out_trade_no, t.trade_no, "pay", amount, t.paid_at))
            for r in t.refunds.values():
                if r.at.astimezone(HALL_TZ).date() == day:
                    lines.append(
                        SimStatementLine(
                            t.out_trade_no,
                            t.trade_no,
                            "refund",
                            r.amount_fen,
                            r.at,
                            r.out_refund_no,
                        )
                    )
        lines += [p for p in self.planted if p.at.astimezone(HALL_TZ).date() == day]
        return sorted(lines, key=lambda line: line.at)


@dataclass
class Notifier:
    """Sends a paid trade's notification: after ``late_s``, retried until accepted (at most
    ``retries`` times, ``retry_interval_s`` apart), then ``repeats`` more copies."""

    book: TradeBook
    build: NotifyBuilder
    accepted: ReplyCheck
    repeats: int = 0
    late_s: float = 0.0
    retries: int = 3
    retry_interval_s: float = 0.2
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def send(self, trade: SimTrade, forged: bool = False, late_s: float | None = None) -> None:
        task = asyncio.create_task(self._deliver(trade, forged, late_s))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _deliver(self, trade: SimTrade, forged: bool, late_s: float | None) -> None:
        wait = self.late_s if late_s is None else late_s
        if wait:
            await asyncio.sleep(wait)  # the fault itself: a notification that comes late
        accepted = failures = 0
        while accepted <= self.repeats and failures <= self.retries:
            if await self._post(trade, forged):
                accepted += 1
            elif forged:
                return  # a forger does not insist
            else:
                failures += 1
                await asyncio.sleep(self.retry_interval_s)

    async def _post(self, trade: SimTrade, forged: bool) -> bool:
        body, content_type = self.build(trade, forged)
        status, accepted = 0, False
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                answer = await client.post(
                    trade.notify_url, content=body, headers={"Content-Type": content_type}
                )
            status, accepted = answer.status_code, self.accepted(answer.status_code, answer.content)
        except httpx.HTTPError as exc:
            log.info("notify of %s not delivered: %s", trade.out_trade_no, type(exc).__name__)
        await self.book.note(Delivery(trade.out_trade_no, status, accepted, forged))
        return accepted

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>{bank}</title>
<style>body{{font:18px sans-serif;margin:1.5em;max-width:28em}}button{{font-size:1.1em;
padding:.6em 1.4em;margin:.4em}}</style></head><body><h1>{bank}</h1>
<p>{subject}</p><p class="amount">￥{yuan}</p><p id="state">{state}</p>{buttons}
</body></html>"""
_BUTTONS = """<form method="post" action="/pay/{qr}/confirm"><button>确认支付 Pay</button></form>
<form method="post" action="/pay/{qr}/cancel"><button>取消 Cancel</button></form>"""
_STATES = {
    "waiting": "待支付 Waiting",
    "paid": "支付成功 Paid",
    "closed": "已关闭 Closed",
    "refunded": "已退款 Refunded",
}


def phone_routes(
    app: web.Application, bank: str, book: TradeBook, on_paid: Callable[[SimTrade], None]
) -> None:
    """``/pay/{qr}``: the demo's "phone" page; confirm pays (and notifies), cancel closes."""

    def page(trade: SimTrade) -> web.Response:
        buttons = _BUTTONS.format(qr=trade.qr) if trade.state == "waiting" else ""
        text = _PAGE.format(
            bank=html.escape(bank),
            subject=html.escape(trade.subject),
            yuan=f"{trade.amount_fen / 100:.2f}",
            state=_STATES[trade.state],
            buttons=buttons,
        )
        return web.Response(text=text, content_type="text/html")

    def found(request: web.Request) -> SimTrade:
        trade = book.by_qr(request.match_info["qr"])
        if trade is None:
            raise web.HTTPNotFound(text="no such payment")
        return book.expire(trade)

    async def show(request: web.Request) -> web.Response:
        return page(found(request))

    async def act(request: web.Request) -> web.Response:
        trade = found(request)
        if trade.state == "waiting":
            if request.match_info["act"] == "confirm":
                trade.state, trade.paid_at = "paid", book.clock()
                on_paid(trade)
            else:
                trade.state = "closed"
        return page(trade)

    app.router.add_get("/pay/{qr}", show)
    app.router.add_post("/pay/{qr}/{act:confirm|cancel}", act)


def control_routes(app: web.Application, book: TradeBook, notifier: Notifier) -> None:
    """``POST /sim/notify/{out_trade_no}?forged=1&late_s=5``: send a paid trade's notification
    again by hand (the demo's duplicate, late or forged notify)."""

    async def notify(request: web.Request) -> web.Response:
        trade = book.trades.get(request.match_info["out_trade_no"])
        if trade is None or trade.state == "waiting":
            raise web.HTTPNotFound(text="no paid trade with that number")
        try:
            late_s = float(request.query.get("late_s", "0"))
        except ValueError as exc:
            raise web.HTTPBadRequest(text="late_s is seconds") from exc
        notifier.send(trade, forged=request.query.get("forged") == "1", late_s=late_s)
        return web.json_response({"queued": trade.out_trade_no})

    app.router.add_post("/sim/notify/{out_trade_no}", notify)


async def stall(faults: GatewayFaults, released: asyncio.Event) -> None:
    """Hold an answer ``stall_s`` (or until the simulator stops)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(released.wait(), faults.stall_s)


def new_trade(
    book: TradeBook,
    out_trade_no: str,
    amount_fen: int,
    subject: str,
    notify_url: str,
    timeout_s: int,
    qr: str,
    trade_no: str,
) -> SimTrade:
    """The trade for ``out_trade_no`` (the same one again on a repeated request)."""
    existing = book.trades.get(out_trade_no)
    if existing is not None:
        return existing
    now = book.clock()
    trade = SimTrade(
        out_trade_no,
        amount_fen,
        subject,
        notify_url,
        qr,
        trade_no,
        now,
        now + timedelta(seconds=timeout_s),
    )
    book.trades[out_trade_no] = trade
    return trade


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
