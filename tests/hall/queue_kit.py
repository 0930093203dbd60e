"""A migrated database with one or more hall sites for the queue's tests: queues ``a`` (prefix
A) and ``b`` (B), services ``s-a`` and ``s-b``, open windows calling from both, staff 1001."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.hall import HallQueue, HallService, HallStaff, HallWindow
from cloud.db.migrate import upgrade
from cloud.db.models import Site
from cloud.db.session import make_engine, make_sessions

SITE = "qh/hx/golmud/hhl"
OTHER = "qh/hx/golmud/other"


@asynccontextmanager
async def hall_db(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        yield make_sessions(engine)
    finally:
        await engine.dispose()


async def add_site(
    sessions: async_sessionmaker[AsyncSession],
    path: str = SITE,
    windows: int = 3,
    queue_codes: tuple[str, ...] = ("a", "b"),
) -> int:
    async with sessions() as s:
        site = Site(code=path.rsplit("/", 1)[-1], path=path, name=path, level=4)
        s.add(site)
        await s.flush()
        queues = {}
        for code, prefix in (("a", "A"), ("b", "B")):
            q = HallQueue(site_id=site.id, code=code, name_zh=f"{code}队列", prefix=prefix)
            s.add(q)
            await s.flush()
            queues[code] = q.id
            s.add(HallService(site_id=site.id, code=f"s-{code}", name_zh="事项", queue_id=q.id))
        for n in range(1, windows + 1):
            s.add(
                HallWindow(
                    site_id=site.id,
                    number=str(n),
                    queue_codes=list(queue_codes),
                    status="open",
                    call_device=f"btn-{uuid.uuid4().hex[:6]}-{n}",
                )
            )
        s.add(HallStaff(site_id=site.id, staff_no="1001", name="王芳"))
        await s.commit()
        return site.id


class Clock:
    """A clock the test moves: each reading is one second after the last."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at
