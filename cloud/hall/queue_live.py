"""Publishes each site's calling state (``protocols.hall.LiveBody``) after every change.

A change marks its site; one worker rebuilds each marked site's body from the database and
offers it to the publisher, so a burst of changes at one site costs one rebuild, and the
request that made the change never waits for the screens' body.

The version is a per-site row (``hall_live_seq``) bumped in the transaction that reads the
state, so it survives a restart and only grows; bumping takes the row's lock, so a later
version always reads a state at least as new as an earlier one. At start every site with a
hall configuration is republished, so screens and the broker's retained copy agree with the
database after downtime.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.hall import HallQueue, HallWindow
from cloud.db.models import Site, utcnow
from cloud.hall.publisher import ContentPublisher
from cloud.hall.queue_stats import Times, expected_wait_min, mean_service_min
from cloud.hall.queue_store import bump
from cloud.hall.queue_tables import HallLiveSeq, HallTicket
from protocols.hall import CallEntry, LiveBody, QueueCount, TicketState, WindowLive, WindowStatus

log = logging.getLogger(__name__)
#: how soon a failed rebuild is tried again
RETRY_S = 1.0
#: the last completed services per site the expected wait is estimated from
PACE_SAMPLE = 200
#: calls shown on the hall screen (the body allows at most 20)
CALLS_SHOWN = 20
#: calls older than this leave the now-calling list
CALL_HORIZON = timedelta(hours=12)


class QueueLive:
    """``changed`` marks a site; the worker (:meth:`run`) rebuilds and offers each marked site's
    body, so a burst of changes costs one rebuild per site, not one each, and no request waits
    for the screens' body to be built."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: ContentPublisher,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._publisher = publisher
        self._now = clock
        self._dirty: dict[int, str] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self.offered = 0
        self.builds = 0

    async def changed(self, site_id: int, path: str) -> None:
        """Mark the site: its body is rebuilt and offered as soon as the worker gets to it."""
        self._dirty[site_id] = path
        self._idle.clear()
        self._wake.set()

    async def settled(self) -> None:
        """Until every marked site's body has been built and offered (tests, benchmarks)."""
        await self._idle.wait()

    async def publish(self, site_id: int, path: str) -> None:
        """Build the site's body now (a new version) and offer it."""
        async with self._sessions() as s:
            keys = {"site_id": site_id}
            version = await bump(s, HallLiveSeq.__table__, keys, "version")  # type: ignore[arg-type]
            body = await live_body(s, site_id, path, version, self._now())
            await s.commit()
        self.builds += 1
        if self._publisher.offer(body):
            self.offered += 1

    async def republish_all(self) -> None:
        async with self._sessions() as s:
            with_hall = Site.id.in_(select(HallWindow.site_id)) | Site.id.in_(
                select(HallQueue.site_id)
            )
            sites = (await s.execute(select(Site.id, Site.path).where(with_hall))).all()
        for site_id, path in sites:
            await self.changed(site_id, path)

    async def run(self) -> None:
        """The hall worker: republish every site once at start, then each marked site."""
        try:
            await self.republish_all()
        except Exception:
            log.exception("reading the sites to republish at start failed")
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._dirty:
                site_id = next(iter(self._dirty))
                path = self._dirty.pop(site_id)
                try:
                    await self.publish(site_id, path)
                except Exception:  # the database away: keep the mark, try again shortly
                    log.exception("live state of %s not built", path)
                    self._dirty.setdefault(site_id, path)
                    await asyncio.sleep(RETRY_S)
            self._idle.set()


async def _windows(s: AsyncSession, site_id: int) -> list[WindowLive]:
    rows = (
        await s.scalars(
            select(HallWindow).where(HallWindow.site_id == site_id).order_by(HallWindow.number)
        )
    ).all()
    held = {
        t.window_no: t
        for t in await s.scalars(
            select(HallTicket)
            .where(HallTicket.site_id == site_id)
            .where(HallTicket.state.in_([TicketState.CALLED.value, TicketState.SERVING.value]))
        )
    }
    out = []
    for w in rows:
        t = held.get(w.number)
        out.append(
            WindowLive(
                number=w.number,
                status=WindowStatus(w.status),
                staff_no=w.staff_no,
                serving=t.ticket_no if t else "",
                serving_state="called" if t and t.state == "called" else "serving" if t else "",
            )
        )
    return out


async def _calls(s: AsyncSession, site_id: int, now: datetime) -> list[CallEntry]:
    rows = await s.scalars(
        select(HallTicket)
        .where(HallTicket.site_id == site_id, HallTicket.called_at >= now - CALL_HORIZON)
        .order_by(HallTicket.called_at.desc(), HallTicket.id.desc())
        .limit(CALLS_SHOWN)
    )
    return [
        CallEntry(
            ticket=t.ticket_no,
            window=t.window_no,
            queue=t.queue_code,
            called_at=t.called_at,
            recall=min(t.recalls, 99),
        )
        for t in rows
        if t.called_at is not None and t.window_no
    ]


async def _queues(s: AsyncSession, site_id: int, windows: list[WindowLive]) -> list[QueueCount]:
    waiting = dict(
        (
            await s.execute(
                select(HallTicket.queue_code, func.count())
                .where(HallTicket.site_id == site_id, HallTicket.state == TicketState.ISSUED.value)
                .group_by(HallTicket.queue_code)
            )
        ).all()
    )
    recent = (
        await s.execute(
            select(HallTicket.queue_code, HallTicket.served_at, HallTicket.ended_at)
            .where(HallTicket.site_id == site_id, HallTicket.state == TicketState.DONE.value)
            .order_by(HallTicket.ended_at.desc())
            .limit(PACE_SAMPLE)
        )
    ).all()
    open_numbers = {w.number for w in windows if w.status is WindowStatus.OPEN}
    cfg = (await s.scalars(select(HallWindow).where(HallWindow.site_id == site_id))).all()
    out = []
    for q in await s.scalars(
        select(HallQueue)
        .where(HallQueue.site_id == site_id, HallQueue.active)
        .order_by(HallQueue.code)
    ):
        pace = mean_service_min(
            [Times(c, "done", sv, None, sv, e) for c, sv, e in recent if c == q.code and sv]
        )
        serving = sum(1 for w in cfg if w.number in open_numbers and q.code in w.queue_codes)
        n = int(waiting.get(q.code, 0))
        out.append(
            QueueCount(
                code=q.code,
                name_zh=q.name_zh,
                name_en=q.name_en,
                waiting=n,
                expected_wait_min=expected_wait_min(n, pace, serving),
            )
        )
    return out


async def live_body(
    s: AsyncSession, site_id: int, path: str, version: int, now: datetime
) -> LiveBody:
    windows = await _windows(s, site_id)
    return LiveBody(
        site=path,
        version=version,
        published_at=now,
        windows=windows,
        calls=await _calls(s, site_id, now),
        queues=await _queues(s, site_id, windows),
    )
