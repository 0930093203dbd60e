"""The state of the simulated city-hall queue system (市级大厅排队叫号系统), free of HTTP.

Business types (业务类型) each number their own tickets (``A001``…, prefix per type); windows
serve a list of business types in order of preference. Statuses are the city system's own
words (``waiting`` ``called`` ``serving`` ``finished`` ``missed`` ``cancelled``
``transferred``), not ours: the adapter translates. Every change bumps a ticket's
``version`` so a client can tell a stale answer from a fresh one.

A refusal raises :class:`Refusal` with the system's error code and HTTP status.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

CST = timezone(timedelta(hours=8))

#: business type → (name, ticket prefix)
DEFAULT_BUSINESS: dict[str, tuple[str, str]] = {
    "HJ": ("户籍业务", "A"),
    "SB": ("社保业务", "B"),
    "YB": ("医保业务", "C"),
    "BDC": ("不动产登记", "D"),
}
#: window → the business types it serves, most preferred first
DEFAULT_WINDOWS: dict[str, list[str]] = {
    "1": ["HJ"],
    "2": ["HJ", "SB"],
    "3": ["SB", "YB"],
    "4": ["BDC", "YB"],
}
ENDED = ("finished", "missed", "cancelled", "transferred")
WINDOW_STATUSES = ("open", "paused", "closed")


class Refusal(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True, slots=True)
class CityTicket:
    ticket_id: int
    ticket_no: str
    business_type: str
    status: str
    source: str
    take_time: datetime
    seq: int
    window: str = ""
    staff_no: str = ""
    #: a transfer to a window: only that window calls it
    for_window: str = ""
    call_time: datetime | None = None
    end_time: datetime | None = None
    recall_count: int = 0
    case_no: str = ""
    from_ticket: int | None = None
    to_ticket: int | None = None
    version: int = 1


@dataclass
class CityWindow:
    business_types: list[str]
    status: str = "open"
    staff_no: str = ""
    current: int | None = None


def _iso(at: datetime | None) -> str | None:
    return at.isoformat(timespec="seconds") if at is not None else None


@dataclass
class CityQueueState:
    business: dict[str, tuple[str, str]] = field(default_factory=lambda: dict(DEFAULT_BUSINESS))
    windows: dict[str, CityWindow] = field(
        default_factory=lambda: {w: CityWindow(list(b)) for w, b in DEFAULT_WINDOWS.items()}
    )
    tickets: dict[int, CityTicket] = field(default_factory=dict)
    #: each ticket as it was before its last change (the "stale data" fault answers these)
    previous: dict[int, CityTicket] = field(default_factory=dict)
    #: business types that refuse new tickets today (``BUSINESS_SUSPENDED``)
    suspended: set[str] = field(default_factory=set)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100001))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _numbers: dict[str, int] = field(default_factory=dict)

    def now(self) -> datetime:
        return datetime.now(CST)

    def _put(self, ticket: CityTicket) -> CityTicket:
        old = self.tickets.get(ticket.ticket_id)
        if old is not None:
            self.previous[ticket.ticket_id] = old
            ticket = replace(ticket, version=old.version + 1)
        self.tickets[ticket.ticket_id] = ticket
        return ticket

    def _business(self, business_type: str) -> tuple[str, str]:
        known = self.business.get(business_type)
        if known is None:
            raise Refusal(
                422,
                "BUSINESS_UNKNOWN",
                f"业务类型 {business_type!r} 不存在 (unknown business type); "
                f"known: {', '.join(sorted(self.business))}",
            )
        return known

    def take(self, business_type: str, source: str) -> CityTicket:
        _, prefix = self._business(business_type)
        if business_type in self.suspended:
            raise Refusal(409, "BUSINESS_SUSPENDED", f"业务 {business_type} 今日已停止取号")
        n = self._numbers.get(business_type, 0) + 1
        self._numbers[business_type] = n
        ticket = CityTicket(
            ticket_id=next(self._ids),
            ticket_no=f"{prefix}{n:03d}",
            business_type=business_type,
            status="waiting",
            source=source,
            take_time=self.now(),
            seq=next(self._seq),
        )
        return self._put(ticket)

    def ticket(self, ticket_id: int) -> CityTicket:
        found = self.tickets.get(ticket_id)
        if found is None:
            raise Refusal(404, "TICKET_NOT_FOUND", f"票号 id {ticket_id} 不存在")
        return found

    def waiting(self, business_type: str = "") -> list[CityTicket]:
        return sorted(
            (
                t
                for t in self.tickets.values()
                if t.status == "waiting" and business_type in ("", t.business_type)
            ),
            key=lambda t: t.seq,
        )

    def ahead(self, ticket: CityTicket) -> int:
        if ticket.status != "waiting":
            return 0
        return sum(1 for t in self.waiting(ticket.business_type) if t.seq < ticket.seq)

    def window(self, number: str) -> CityWindow:
        found = self.windows.get(number)
        if found is None:
            raise Refusal(404, "WINDOW_NOT_FOUND", f"窗口 {number} 不存在")
        return found

    def _current(self, number: str, *states: str) -> CityTicket:
        win = self.window(number)
        ticket = self.tickets.get(win.current) if win.current is not None else None
        if ticket is None or ticket.status not in states:
            raise Refusal(409, "STATE_INVALID", f"窗口 {number} 当前没有{'/'.join(states)}状态的票")
        return ticket

    def call_next(self, number: str, staff_no: str) -> CityTicket | None:
        win = self.window(number)
        if win.status != "open":
            raise Refusal(409, "WINDOW_NOT_OPEN", f"窗口 {number} 状态为 {win.status}，不能叫号")
        busy = self.tickets.get(win.current) if win.current is not None else None
        if busy is not None and busy.status in ("called", "serving"):
            raise Refusal(
                409, "WINDOW_BUSY", f"窗口 {number} 正在处理 {busy.ticket_no}，请先办结或过号"
            )
        pick = self._pick(number, win)
        if pick is None:
            return None
        win.current = pick.ticket_id
        win.staff_no = staff_no or win.staff_no
        called = replace(
            pick, status="called", window=number, staff_no=win.staff_no, call_time=self.now()
        )
        return self._put(called)

    def _pick(self, number: str, win: CityWindow) -> CityTicket | None:
        waiting = self.waiting()
        mine = [t for t in waiting if t.for_window == number]
        if mine:
            return mine[0]
        for bt in win.business_types:
            for t in waiting:
                if t.business_type == bt and not t.for_window:
                    return t
        return None

    def recall(self, number: str) -> CityTicket:
        t = self._current(number, "called")
        return self._put(replace(t, recall_count=t.recall_count + 1, call_time=self.now()))

    def start(self, number: str) -> CityTicket:
        return self._put(replace(self._current(number, "called"), status="serving"))

    def no_show(self, number: str) -> CityTicket:
        t = self._current(number, "called")
        return self._end(number, replace(t, status="missed"))

    def complete(self, number: str, case_no: str) -> CityTicket:
        t = self._current(number, "called", "serving")
        return self._end(number, replace(t, status="finished", case_no=case_no))

    def _end(self, number: str, ticket: CityTicket) -> CityTicket:
        self.window(number).current = None
        return self._put(replace(ticket, end_time=self.now()))

    def transfer(self, number: str, to_business: str, to_window: str) -> CityTicket:
        if bool(to_business) == bool(to_window):
            raise Refusal(400, "BAD_REQUEST", "转移需要 to_business_type 或 to_window 之一")
        t = self._current(number, "called", "serving")
        if to_business:
            self._business(to_business)
        else:
            self.window(to_window)
        new = CityTicket(
            ticket_id=next(self._ids),
            ticket_no=t.ticket_no,
            business_type=to_business or t.business_type,
            status="waiting",
            source=t.source,
            take_time=t.take_time,
            seq=-t.seq,  # a transferred citizen does not queue again from the back
            for_window=to_window,
            from_ticket=t.ticket_id,
        )
        self._put(new)
        self._end(number, replace(t, status="transferred", to_ticket=new.ticket_id))
        return new

    def cancel(self, ticket_id: int) -> CityTicket:
        t = self.ticket(ticket_id)
        if t.status != "waiting":
            raise Refusal(409, "STATE_INVALID", f"票 {t.ticket_no} 状态为 {t.status}，不能取消")
        return self._put(replace(t, status="cancelled", end_time=self.now()))

    def set_status(self, number: str, status: str, staff_no: str) -> CityWindow:
        if status not in WINDOW_STATUSES:
            raise Refusal(400, "BAD_REQUEST", f"窗口状态须为 {', '.join(WINDOW_STATUSES)}")
        win = self.window(number)
        win.status = status
        win.staff_no = staff_no if status == "open" else ""
        return win

    def ticket_json(self, t: CityTicket) -> dict[str, Any]:
        return {
            "ticket_id": t.ticket_id,
            "ticket_no": t.ticket_no,
            "business_type": t.business_type,
            "business_name": self.business.get(t.business_type, ("", ""))[0],
            "status": t.status,
            "source": t.source,
            "waiting_ahead": self.ahead(t),
            "window": t.window or t.for_window,
            "staff_no": t.staff_no,
            "take_time": _iso(t.take_time),
            "call_time": _iso(t.call_time),
            "end_time": _iso(t.end_time),
            "recall_count": t.recall_count,
            "case_no": t.case_no,
            "from_ticket": t.from_ticket,
            "to_ticket": t.to_ticket,
            "version": t.version,
        }

    def window_json(self, number: str) -> dict[str, Any]:
        win = self.window(number)
        current = self.tickets.get(win.current) if win.current is not None else None
        return {
            "window": number,
            "status": win.status,
            "staff_no": win.staff_no,
            "business_types": list(win.business_types),
            "current": self.ticket_json(current) if current is not None else None,
        }
