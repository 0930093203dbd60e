"""Two cloud instances evaluate alerts on one PostgreSQL: one alert per (rule, subject) and
one notice per change, whoever wins each round — by the advisory lock, and without it by the
unique open key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from cloud.alerts import evaluator as evaluator_module
from cloud.alerts.evaluator import Evaluator
from cloud.alerts.tables import Alert
from cloud.db.session import make_engine
from cloud.notify.model import NoticeKind
from tests.alerts.kit import (
    RecordingNotifier,
    Sessions,
    add_device,
    add_rule,
    alerts,
    at,
    only_rules,
    printer,
)

DEVICES = 20


@asynccontextmanager
async def second_instance(sessions: Sessions) -> AsyncIterator[Sessions]:
    """Sessions of another process: its own engine and pool on the same database."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        yield async_sessionmaker(engine, expire_on_commit=False)
    finally:
        await engine.dispose()


async def _world(db: Sessions) -> int:
    for i in range(DEVICES):
        await add_device(db, f"k{i:02d}", peripherals=[printer("offline", "paper_out")])
    rule = await add_rule(db, "paper", "peripheral", {"conditions": ["paper_out"]})
    await only_rules(db, rule)
    return rule


async def _race(
    db: Sessions, other: Sessions, rounds: int
) -> tuple[RecordingNotifier, RecordingNotifier]:
    one, two = RecordingNotifier(), RecordingNotifier()
    a, b = Evaluator(db, one, 60), Evaluator(other, two, 60)
    for r in range(rounds):
        await asyncio.gather(a.evaluate_once(at(r)), b.evaluate_once(at(r)))
    return one, two


def _opened(*notifiers: RecordingNotifier) -> list[str]:
    return sorted(s for n in notifiers for k, s in n.kinds() if k is NoticeKind.OPENED)


@pytest.mark.postgres
async def test_two_evaluators_open_one_alert_per_subject_and_tell_it_once(pg_db: Sessions) -> None:
    await _world(pg_db)
    async with second_instance(pg_db) as other:
        one, two = await _race(pg_db, other, 5)
    rows = await alerts(pg_db)
    assert len(rows) == DEVICES and len({r.subject for r in rows}) == DEVICES
    assert _opened(one, two) == sorted(r.subject for r in rows)


@pytest.mark.postgres
async def test_without_the_lock_the_unique_open_key_still_keeps_one_alert(
    pg_db: Sessions, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def always(_: object) -> bool:
        return True

    monkeypatch.setattr(evaluator_module, "_take_round", always)
    await _world(pg_db)
    async with second_instance(pg_db) as other:
        one, two = await _race(pg_db, other, 5)
    rows = await alerts(pg_db)
    assert len(rows) == DEVICES
    assert _opened(one, two) == sorted(r.subject for r in rows)


@pytest.mark.postgres
async def test_the_database_refuses_a_second_open_alert_of_one_pair(pg_db: Sessions) -> None:
    rule = await _world(pg_db)
    row = {
        "rule_id": rule,
        "subject": "device:k00",
        "open_key": f"{rule}:device:k00",
        "state": "firing",
        "severity": "major",
        "site": "qh",
        "summary": "",
        "acked_by": "",
        "ack_note": "",
        "notices": 0,
        "started_at": at(0),
        "updated_at": at(0),
    }
    async with pg_db() as s:
        s.add(Alert(**row))
        await s.commit()
    async with pg_db() as s:
        s.add(Alert(**row))
        with pytest.raises(IntegrityError):
            await s.commit()
    async with pg_db() as s:  # once closed (open_key NULL), a new one may open
        s.add(Alert(**{**row, "open_key": None, "state": "resolved"}))
        await s.commit()
