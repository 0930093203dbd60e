"""The phone page of one queue ticket (``GET /t/<token>``): number, state, people ahead, and
the window once called. Plain HTML with its style inline and a meta refresh, so it works on any
phone browser with nothing fetched from elsewhere; zh-CN with English beneath."""

from __future__ import annotations

from html import escape

from cloud.hall.backend import TicketView
from cloud.hall.ticket_token import HALL_TZ
from protocols.hall import TicketState

REFRESH_S = 10
STATE_NAMES: dict[TicketState, tuple[str, str]] = {
    TicketState.ISSUED: ("等候中", "Waiting"),
    TicketState.CALLED: ("请到窗口办理", "Called: please go to the window"),
    TicketState.SERVING: ("办理中", "Being served"),
    TicketState.DONE: ("已办结", "Done"),
    TicketState.NO_SHOW: ("已过号", "Missed"),
    TicketState.CANCELLED: ("已取消", "Cancelled"),
    TicketState.TRANSFERRED: ("已转办", "Transferred"),
}
_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;color:#1b2733}
main{max-width:28rem;margin:0 auto;padding:1.5rem 1rem;text-align:center}
.site{font-size:1.1rem;color:#44566c}.no{font-size:4.5rem;font-weight:700;margin:.5rem 0}
.state{font-size:1.6rem;font-weight:600}.called{color:#b3261e}.en{color:#5b6b7c;font-size:.95rem}
.box{background:#fff;border-radius:.75rem;padding:1rem;margin:1rem 0;box-shadow:0 1px 3px #0002}
.big{font-size:2.2rem;font-weight:700}small{color:#5b6b7c}
"""


def _page(title: str, body: str, refresh: bool) -> str:
    meta = f'<meta http-equiv="refresh" content="{REFRESH_S}">' if refresh else ""
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"{meta}<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def ticket_html(ticket: TicketView, site_name: str, service_name: str) -> str:
    zh, en = STATE_NAMES[ticket.state]
    live = ticket.state in (TicketState.ISSUED, TicketState.CALLED, TicketState.SERVING)
    called = " called" if ticket.state is TicketState.CALLED else ""
    parts = [
        f'<div class="site">{escape(site_name)}</div>',
        f'<div class="no" id="ticket-no">{escape(ticket.ticket_no)}</div>',
        f"<div>{escape(service_name)}</div>",
        f'<div class="box"><div class="state{called}" id="state">{zh}</div>'
        f'<div class="en">{en}</div></div>',
    ]
    if ticket.state is TicketState.ISSUED:
        parts.append(
            f'<div class="box"><div>您前面还有</div><div class="big" id="ahead">'
            f'{ticket.people_ahead}</div><div>人 <span class="en">people ahead of you</span>'
            "</div></div>"
        )
    if ticket.window_no and ticket.state in (TicketState.CALLED, TicketState.SERVING):
        parts.append(
            f'<div class="box"><div>请到</div><div class="big" id="window">'
            f"{escape(ticket.window_no)} 号窗口</div>"
            f'<div class="en">Window {escape(ticket.window_no)}</div></div>'
        )
    taken = ticket.issued_at.astimezone(HALL_TZ).strftime("%H:%M")
    note = f"每 {REFRESH_S} 秒自动刷新 · Refreshes every {REFRESH_S} s" if live else ""
    parts.append(f"<small>取号时间 Taken at {taken}<br>{note}</small>")
    return _page(f"{ticket.ticket_no} · {site_name}", "".join(parts), live)


def error_html(status: int, message: str) -> str:
    zh = {404: "链接无效或已过期", 503: "暂时无法查询，请稍后再试"}.get(status, "出错了")
    body = (
        f'<div class="box"><div class="state">{zh}</div>'
        f'<div class="en" id="error">{escape(message)}</div></div>'
    )
    return _page(zh, body, status == 503)
