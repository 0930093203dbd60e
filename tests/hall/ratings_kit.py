"""Shared helpers of the 好差评 tests: a cloud with one window whose pad is a fake device, a
ticket completed at it, and polling the ratings table."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import sites as site_repo
from cloud.db.hall import HallRating, HallStaff, HallWindow
from cloud.hall.ratings_service import Ratings
from cloud.hall.ratings_tables import HallFollowUp, HallRatingRequest
from cloud.hall.signals import TicketDone
from cloud.wiring import Parts
from protocols.messages import EventBody, EventKind, Health, PeripheralInfo
from protocols.topics import DeviceChannel
from tests.cloudkit import FakeDevice

SITE = "qh/hx/golmud/hhl"
#: the databases each cloud fixture of these tests runs on
DATABASES = ["sqlite", "postgres"]
RATING_PAD = PeripheralInfo(id="pad", kind="rating_pad", capabilities=["rating"], health=Health.OK)


def ratings_of(cloud: Parts) -> Ratings:
    assert cloud.hall.ratings is not None
    return cloud.hall.ratings


async def add_window(cloud: Parts, device_id: str, number: str = "3") -> int:
    """Window ``number`` at :data:`SITE` with its pad on ``device_id``; staff 017 张三."""
    async with cloud.sessions() as s:
        site = await site_repo.require(s, SITE)
        s.add(
            HallWindow(
                site_id=site.id,
                number=number,
                queue_codes=["a"],
                roster=[],
                rating_device=device_id,
                rating_peripheral="pad",
            )
        )
        if await s.scalar(select(HallStaff).where(HallStaff.staff_no == "017")) is None:
            s.add(HallStaff(site_id=site.id, staff_no="017", name="张三"))
        await s.commit()
        return site.id


def done(ticket_id: int, ticket_no: str, window: str = "3", case_no: str = "") -> TicketDone:
    return TicketDone(SITE, ticket_id, ticket_no, "a", window, "017", case_no, datetime.now(UTC))


async def register(cloud: Parts, device: FakeDevice) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


def pad_device(url: str, uid: str) -> FakeDevice:
    return FakeDevice(url, f"win-{uid}", site=SITE, peripherals=[RATING_PAD])


async def rate(
    dev: FakeDevice, case_no: str, code: int | None, reasons: tuple[str, ...] = ()
) -> str:
    """The pad's ``rating`` event (``code`` None: timed out); its message id."""
    data: dict[str, Any] = {"case_no": case_no, "timed_out": code is None}
    if code is not None:
        data |= {"code": code, "name": "", "reasons": list(reasons)}
    env = await dev.publish(
        DeviceChannel.EVT, EventBody(kind=EventKind.RATING, peripheral="pad", data=data)
    )
    return env.id


async def until(
    sessions: async_sessionmaker[AsyncSession],
    ok: Callable[[list[HallRating]], bool],
    timeout_s: float = 10,
) -> list[HallRating]:
    """Poll ``hall_ratings`` until ``ok(rows)``."""
    async with asyncio.timeout(timeout_s):
        while True:
            async with sessions() as s:
                got = list((await s.scalars(select(HallRating).order_by(HallRating.id))).all())
            if ok(got):
                return got
            await asyncio.sleep(0.05)  # polling a database, not a timing assumption


async def follow_ups(sessions: async_sessionmaker[AsyncSession]) -> list[HallFollowUp]:
    async with sessions() as s:
        return list((await s.scalars(select(HallFollowUp).order_by(HallFollowUp.id))).all())


async def requests(sessions: async_sessionmaker[AsyncSession]) -> list[HallRatingRequest]:
    async with sessions() as s:
        rows = await s.scalars(select(HallRatingRequest).order_by(HallRatingRequest.id))
        return list(rows.all())


@contextlib.contextmanager
def database_url(request: pytest.FixtureRequest, uid: str) -> Iterator[str | None]:
    """None for the default SQLite, or a fresh PostgreSQL database ``kfr_<uid>`` (dropped
    after) when the fixture's param is ``postgres``."""
    if request.param == "sqlite":
        yield None
        return
    url = make_url(str(request.getfixturevalue("postgres_url")))
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"kfr_{uid}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
