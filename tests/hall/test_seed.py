"""The pilot halls seed: everything the demo and the benchmark rely on, created once."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from cloud.app import seed_sites
from cloud.db import migrate
from cloud.db.hall import HallQueue, HallService, HallStaff, HallWindow
from cloud.db.session import make_engine, make_sessions
from cloud.hall.seed import PILOT_HALLS, seed_halls


async def test_seeding_twice_creates_once_and_binds_the_demo_window(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    try:
        await migrate.upgrade(engine)
        async with make_sessions(engine)() as s:
            await seed_sites(s)
            first = await seed_halls(s)
            again = await seed_halls(s)
            await s.commit()
            windows = await s.scalar(select(func.count()).select_from(HallWindow))
            staff = await s.scalar(select(func.count()).select_from(HallStaff))
            queues = await s.scalar(select(func.count()).select_from(HallQueue))
            services = await s.scalar(select(func.count()).select_from(HallService))
            one = await s.scalar(select(HallWindow).where(HallWindow.call_device != ""))
    finally:
        await engine.dispose()
    assert first > 0 and again == 0
    assert windows == sum(len(h.windows) for h in PILOT_HALLS) == 9
    assert staff == windows and queues == 7 and (services or 0) >= 10
    assert one is not None and (one.number, one.rating_peripheral) == ("1", "rating")
