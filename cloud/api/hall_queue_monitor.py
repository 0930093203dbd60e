"""The console's queue monitor: per queue waiting, served today, average wait and service
time and the expected wait; per window status, staff, the ticket in hand and served today."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.api.hall_queue_schemas import Monitor, QueueMonitor, WindowMonitor
from cloud.db.hall import HallQueue, HallWindow
from cloud.db.models import Site
from cloud.hall.queue_stats import Times, expected_wait_min, mean_service_min, mean_wait_min
from cloud.hall.queue_tables import HallTicket
from fleet.queue import hall_day
from protocols.hall import WindowStatus


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


async def monitor(
    sessions: async_sessionmaker[AsyncSession], site: Site, now: Callable[[], datetime]
) -> Monitor:
    day = hall_day(now()).isoformat()
    async with sessions() as s:
        tickets = (
            await s.scalars(
                select(HallTicket).where(
                    HallTicket.site_id == site.id,
                    (HallTicket.day == day) | HallTicket.state.in_(["issued", "called", "serving"]),
                )
            )
        ).all()
        queues = (
            await s.scalars(
                select(HallQueue).where(HallQueue.site_id == site.id).order_by(HallQueue.code)
            )
        ).all()
        windows = (
            await s.scalars(
                select(HallWindow).where(HallWindow.site_id == site.id).order_by(HallWindow.number)
            )
        ).all()
    times = [
        Times(t.queue_code, t.state, t.issued_at, t.called_at, t.served_at, t.ended_at)
        for t in tickets
        if t.day == day
    ]
    open_windows = [w for w in windows if w.status == WindowStatus.OPEN.value]
    out_q = []
    for q in queues:
        mine = [t for t in times if t.queue_code == q.code]
        waiting = sum(1 for t in tickets if t.queue_code == q.code and t.state == "issued")
        service = mean_service_min(mine)
        out_q.append(
            QueueMonitor(
                code=q.code,
                name_zh=q.name_zh,
                name_en=q.name_en,
                waiting=waiting,
                served_today=sum(1 for t in mine if t.state == "done"),
                avg_wait_min=_round(mean_wait_min(mine)),
                avg_service_min=_round(service),
                expected_wait_min=expected_wait_min(
                    waiting, service, sum(1 for w in open_windows if q.code in w.queue_codes)
                ),
            )
        )
    out_w = _windows(windows, tickets, day)
    return Monitor(site=site.path, day=day, queues=out_q, windows=out_w)


def _windows(
    windows: Sequence[HallWindow], tickets: Sequence[HallTicket], day: str
) -> list[WindowMonitor]:
    held = {t.window_no: t for t in tickets if t.state in ("called", "serving")}
    return [
        WindowMonitor(
            number=w.number,
            status=WindowStatus(w.status),
            staff_no=w.staff_no,
            ticket_no=held[w.number].ticket_no if w.number in held else "",
            ticket_state=held[w.number].state if w.number in held else "",
            served_today=sum(
                1 for t in tickets if t.window_no == w.number and t.state == "done" and t.day == day
            ),
        )
        for w in windows
    ]
