"""Reconciliation against statements the bank simulators produce: a clean day is clean, a
planted mismatch is found and stored, an unreadable statement is a failed run, and the daily
worker reconciles yesterday once (and catches up after a failure)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import migrate
from cloud.db.session import make_engine, make_sessions
from cloud.errors import Conflict
from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.reconcile import DayNotFinished, ReconcileService
from tests.pay.reconcile_kit import Banks, banks, pay, refund


@pytest.fixture
async def sessions(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'r.db'}")
    await migrate.upgrade(engine)
    yield make_sessions(engine)
    await engine.dispose()


@pytest.fixture
async def world() -> AsyncIterator[Banks]:
    async with banks() as b:
        yield b


def service(sessions: async_sessionmaker[AsyncSession], b: Banks, **kw: object) -> ReconcileService:
    return ReconcileService(sessions, b.channels, lambda: b.ledger, **kw)  # type: ignore[arg-type]


async def test_a_clean_day_is_clean(
    sessions: async_sessionmaker[AsyncSession], world: Banks
) -> None:
    await pay(world, "icbc", "KF1", 1000)
    await pay(world, "icbc", "KF2", 2000)
    await refund(world, "icbc", "KF2", "RF2", 500)
    result = await service(sessions, world).run("icbc", world.day)
    assert (result.run.state, result.run.matched, result.run.mismatched) == ("clean", 3, 0)
    assert result.run.ledger_net_fen == result.run.statement_net_fen == 2500
    assert result.items == []


@pytest.mark.parametrize("bank", ["icbc", "ccb"])
async def test_planted_mismatches_are_found_and_stored(
    sessions: async_sessionmaker[AsyncSession], world: Banks, bank: str
) -> None:
    await pay(world, bank, "KF1", 1000)  # type: ignore[arg-type]
    await pay(world, bank, "KF2", 2000)  # type: ignore[arg-type]
    await pay(world, bank, "KF3", 3000, record=False)  # type: ignore[arg-type]  # lost notify
    sim = world.icbc_sim if bank == "icbc" else world.ccb_sim
    sim.book.amount_overrides["KF2"] = 1990  # the planted difference
    svc = service(sessions, world)
    result = await svc.run(bank, world.day)
    assert result.run.state == "mismatch"
    found = {(i.outcome, i.out_trade_no, i.ledger_fen, i.statement_fen) for i in result.items}
    assert found == {
        ("amount_differs", "KF2", 2000, 1990),
        ("missing_in_ledger", "KF3", None, 3000),
    }
    stored = await svc.detail(result.run.id)
    assert stored is not None and len(stored.items) == 2
    assert stored.items[0].order_id in ("o-KF2", "")
    assert [r.id for r in await svc.runs(bank, world.day, world.day)] == [result.run.id]


async def test_an_unreadable_statement_is_a_failed_run(
    sessions: async_sessionmaker[AsyncSession], world: Banks
) -> None:
    world.ccb_sim.faults.fail_next("maintenance")
    result = await service(sessions, world).run("ccb", world.day)
    assert result.run.state == "failed" and "ccb" in result.run.error


async def test_refusals(sessions: async_sessionmaker[AsyncSession], world: Banks) -> None:
    svc = service(sessions, world)
    with pytest.raises(DayNotFinished):
        await svc.run("icbc", datetime.now(HALL_TZ).date())
    with pytest.raises(Conflict):
        await svc.run("alipay", world.day)  # not configured here
    svc.ledger_source = lambda: None
    with pytest.raises(Conflict):
        await svc.run("icbc", world.day)


async def test_the_daily_worker_reconciles_yesterday_once(
    sessions: async_sessionmaker[AsyncSession], world: Banks
) -> None:
    await pay(world, "ccb", "KF1", 100)
    before_hour = datetime.combine(world.day + timedelta(days=1), datetime.min.time(), HALL_TZ)
    now = [before_hour + timedelta(hours=8)]
    svc = service(sessions, world, reconcile_hour=9, clock=lambda: now[0].astimezone(UTC))
    assert await svc.catch_up() == []  # 08:00: not yet
    now[0] += timedelta(hours=2)
    world.icbc_sim.faults.fail_next("maintenance")
    first = await svc.catch_up()
    assert sorted((r.run.channel, r.run.state) for r in first) == [
        ("ccb", "clean"),
        ("icbc", "failed"),
    ]
    again = await svc.catch_up()  # the failed one is retried, the clean one not
    assert [(r.run.channel, r.run.state) for r in again] == [("icbc", "clean")]
    assert await svc.catch_up() == []
