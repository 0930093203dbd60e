"""好差评 end to end with the rating pad SIMULATOR: cloud → MQTT → the real agent → its rating
pad driver → the simulated pad on a pty, and back as a ``rating`` event. A ticket completed
at window 3 is rated, times out, or loses its pad mid-rating; a citizen who rates after the
window completed the next ticket is recorded against their own ticket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

import kfleet.world.demo as demo
from cloud.db import sites as site_repo
from cloud.db.hall import HallWindow
from cloud.wiring import Parts
from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from kfleet.world.world import KioskSpec
from simulators.rating_pad import Rating, RatingPadSim, Reason, Timeout
from tests.hall.ratings_kit import done, follow_ups, requests, until


@pytest.fixture
async def hall(
    tmp_path: Path, uid: str, mosquitto_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[DemoWorld, Parts, RatingPadSim]]:
    """A demo world with one window PC (its rating pad simulated) at window 3 of HHL."""
    apps: list[FastAPI] = []
    real: Callable[..., FastAPI] = demo.create_app

    def capture(*args: object, **kwargs: object) -> FastAPI:
        apps.append(real(*args, **kwargs))
        return apps[-1]

    monkeypatch.setattr(demo, "create_app", capture)  # to reach the hall's signals
    town = SiteSpec("hhl", "黄河路街道办事处", SiteLevel.TOWN)
    spec = KioskSpec(
        f"window-{uid}", "qh/hx/golmud/hhl", "3号窗口", role="window", full_peripherals=True
    )
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=mosquitto_url,
        port=0,
        kiosks=[spec],
        sites=golmud(town),
        cloud_settings={"hall_rating_timeout_s": 5, "hall_ratings_poll_s": 0.2},
    )
    async with running_demo(opts) as world:
        parts: Parts = apps[0].state.parts
        [window] = world.kiosks
        assert window.rating_pad is not None
        async with parts.sessions() as s:
            site = await site_repo.require(s, "qh/hx/golmud/hhl")
            row = await s.scalar(
                select(HallWindow).where(HallWindow.site_id == site.id, HallWindow.number == "3")
            )
            if row is None:  # the demo seeds the pilots' windows; bind (or add) window 3
                row = HallWindow(site_id=site.id, number="3", queue_codes=["a"], roster=[])
                s.add(row)
            row.rating_device, row.rating_peripheral = spec.device_id, "rating"
            await s.commit()
        yield world, parts, window.rating_pad


async def _until_asked(pad: RatingPadSim, n: int) -> None:
    async with asyncio.timeout(20):
        await pad.wait_for(lambda: len(pad.asked) >= n and pad.state == "asking")


async def test_a_rating_on_the_pad_lands_on_the_ticket(
    hall: tuple[DemoWorld, Parts, RatingPadSim],
) -> None:
    _, parts, pad = hall
    pad.script.append(Rating(2, reasons=[Reason.ATTITUDE]))
    await parts.hall.signals.ticket_done(done(57, "A012", case_no="QH-2026-0815"))
    [row] = await until(parts.sessions, lambda rows: len(rows) == 1, 30)
    [asked] = pad.asked
    assert (asked.case, asked.window) == ("QH-2026-0815#57", "3号窗口")
    assert (row.outcome, row.level, row.reasons, row.ticket_id) == ("rated", 2, ["attitude"], 57)
    assert row.dedupe_key.startswith("evt:")
    assert len(await follow_ups(parts.sessions)) == 1


async def test_nobody_rates_in_time(hall: tuple[DemoWorld, Parts, RatingPadSim]) -> None:
    _, parts, pad = hall
    pad.script.append(Timeout())
    await parts.hall.signals.ticket_done(done(8, "A008"))
    [row] = await until(parts.sessions, lambda rows: len(rows) == 1, 30)
    assert (row.outcome, row.level, row.ticket_id) == ("timed_out", None, 8)
    assert await follow_ups(parts.sessions) == []


async def test_pad_unplugged_mid_rating(hall: tuple[DemoWorld, Parts, RatingPadSim]) -> None:
    _, parts, pad = hall
    pad.script.append(Rating(5, think_s=60))  # the citizen never gets to press
    await parts.hall.signals.ticket_done(done(9, "A009"))
    await _until_asked(pad, 1)
    pad.unplug()
    [row] = await until(parts.sessions, lambda rows: len(rows) == 1, 30)
    assert (row.outcome, row.level, row.ticket_id) == ("abandoned", None, 9)
    [req] = await requests(parts.sessions)
    assert req.state == "abandoned" and req.error


async def test_rating_after_the_next_ticket_was_completed(
    hall: tuple[DemoWorld, Parts, RatingPadSim],
) -> None:
    _, parts, pad = hall
    pad.script.extend([Rating(5, think_s=1.5), Rating(1, reasons=[Reason.WAIT_LONG])])
    await parts.hall.signals.ticket_done(done(21, "A021"))
    await _until_asked(pad, 1)
    await parts.hall.signals.ticket_done(done(22, "A022"))  # before A021's citizen pressed
    rows = await until(parts.sessions, lambda rows: len(rows) == 2, 30)
    by_ticket = {r.ticket_id: (r.ticket_no, r.level) for r in rows}
    assert by_ticket == {21: ("A021", 5), 22: ("A022", 1)}
    reqs = {r.ticket_id: r for r in await requests(parts.sessions)}
    first = next(r for r in rows if r.ticket_id == 21)
    assert reqs[22].asked_at < first.rated_at  # the next ticket was asked for first
    assert [a.case for a in pad.asked] == ["A021#21", "A022#22"]
