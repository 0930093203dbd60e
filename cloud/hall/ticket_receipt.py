"""The paper a kiosk prints for a queue ticket: site, queue, the number large, people ahead,
the time, and a QR to follow the ticket on a phone (zh-CN with English)."""

from __future__ import annotations

from dataclasses import dataclass

from cloud.hall.backend import TicketView
from cloud.hall.ticket_token import HALL_TZ
from protocols.jobs import FeedLine, QrLine, ReceiptLine, ReceiptParams, TextLine


@dataclass(frozen=True, slots=True)
class ReceiptNames:
    site_name: str
    queue_zh: str
    queue_en: str
    service_zh: str


def receipt(ticket: TicketView, names: ReceiptNames, follow_url: str) -> ReceiptParams:
    taken = ticket.issued_at.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M")
    queue = names.queue_zh + (f" / {names.queue_en}" if names.queue_en else "")
    lines: list[ReceiptLine] = [
        TextLine(text=names.site_name, align="center", bold=True, width=2, height=2),
        TextLine(text="排队取号 Queue ticket", align="center"),
        FeedLine(),
        TextLine(text=queue, align="center", bold=True),
        TextLine(text=names.service_zh, align="center"),
        TextLine(text=ticket.ticket_no, align="center", bold=True, width=4, height=4),
        FeedLine(),
        TextLine(
            text=f"您前面还有 {ticket.people_ahead} 人  {ticket.people_ahead} ahead of you",
            align="center",
        ),
        TextLine(text=f"取号时间 Taken at {taken}", align="center"),
        FeedLine(),
        QrLine(data=follow_url, size=6),
        TextLine(text="扫码查看排队进度 Scan to follow your ticket", align="center"),
        TextLine(text="请留意叫号，过号作废 Please listen for your number", align="center"),
    ]
    return ReceiptParams(lines=lines)


def follow_url_of(params: dict[str, object]) -> str:
    """The QR's link in a stored receipt job's params ("" if none)."""
    lines = params.get("lines")
    for line in lines if isinstance(lines, list) else []:
        if isinstance(line, dict) and line.get("type") == "qr":
            return str(line.get("data", ""))
    return ""
