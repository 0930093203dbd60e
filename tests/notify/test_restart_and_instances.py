"""Rows outlive the process: what one instance recorded and never sent, another (or the
same, restarted) delivers; two instances on one PostgreSQL share the work and send each
notice once (``FOR UPDATE SKIP LOCKED`` + lease)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from cloud.db.models import utcnow
from cloud.notify import store
from tests.notify.kit import database, notice, running, service, until_settled, webhook
from tests.notify.receiver import WebhookReceiver


@pytest.fixture
def pg_database(postgres_url: str, uid: str) -> Iterator[str]:
    url = make_url(postgres_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"kf_notify_{uid}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_restarted_service_delivers_what_was_recorded(tmp_path: Path) -> None:
    receiver = await WebhookReceiver().start()
    url = f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"
    try:
        async with database(url) as sessions:  # the first life: records, never runs its worker
            first = service(sessions, webhook(receiver.url, receiver.secret))
            for n in range(3):
                await first.notify(notice(n), ["hook"])
        async with database(url) as sessions:  # the second life: a new process, same database
            second = service(sessions, webhook(receiver.url, receiver.secret))
            async with running(second), asyncio.timeout(20):
                got = await until_settled(sessions, 3)
    finally:
        await receiver.stop()
    assert [r.state for r in got] == ["delivered"] * 3
    assert sorted(receiver.keys()) == [f"alert-7-opened-{n}" for n in range(3)]


@pytest.mark.postgres
async def test_two_instances_send_each_notice_once(pg_database: str) -> None:
    receiver = await WebhookReceiver().start()
    hook = webhook(receiver.url, receiver.secret)
    try:
        async with database(pg_database) as a_sessions, database(pg_database) as b_sessions:
            a, b = service(a_sessions, hook), service(b_sessions, hook)
            async with running(a), running(b), asyncio.timeout(60):
                for n in range(60):
                    await (a if n % 2 else b).notify(notice(n), ["hook"])
                got = await until_settled(a_sessions, 60)
    finally:
        await receiver.stop()
    assert [r.state for r in got] == ["delivered"] * 60
    assert receiver.duplicates == 0 and len(receiver.requests) == 60
    assert sorted(receiver.keys()) == sorted(f"alert-7-opened-{n}" for n in range(60))
    assert a.attempted > 0 and b.attempted > 0, "both instances took a share"
    assert {r.attempts for r in got} == {1}


async def test_a_row_another_instance_is_sending_is_not_due_before_its_lease_ends(
    tmp_path: Path,
) -> None:
    """Else the idle instance would poll in a tight loop while the other one sends."""
    async with database(f"sqlite+aiosqlite:///{tmp_path / 'n.db'}") as sessions:
        svc = service(sessions, webhook("http://127.0.0.1:9/h", "a-secret-of-16-chars"))
        await svc.notify(notice(1), ["hook"])
        now = utcnow()
        async with sessions() as s:
            assert len(await store.claim(s, "other-instance", now, 30, 10)) == 1
            await s.commit()
            due = await store.next_due(s, now + timedelta(seconds=1))
    assert due is not None and due >= now + timedelta(seconds=29)
