"""The message service on its own database (SQLite, or PostgreSQL), for tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import migrate
from cloud.db.session import make_engine, make_sessions
from cloud.notify.config import parse_channels
from cloud.notify.model import Notice, NoticeKind, Severity
from cloud.notify.rows import NotifyDelivery
from cloud.notify.service import MessageService, RetryPolicy

#: quick retries: tests wait for what happens, never sleep
FAST = RetryPolicy(max_attempts=4, backoff_s=0.05, backoff_cap_s=0.5, lease_s=10, poll_s=0.1)


def notice(n: int = 1, kind: NoticeKind = NoticeKind.OPENED, alert_id: int = 7) -> Notice:
    at = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
    return Notice(
        key=f"alert-{alert_id}-{kind.value}-{n}",
        kind=kind,
        alert_id=alert_id,
        rule_id=3,
        rule_name="paper out",
        severity=Severity.MAJOR,
        subject="peripheral:kiosk-1/rp1",
        site="qh/hx/golmud/hhl",
        summary="唐古拉山镇 自助终端 kiosk-1 缺纸 / out of paper",
        opened_at=at,
        at=at,
        device_id="kiosk-1",
        details={"peripheral": "rp1", "paper": "out"},
    )


def webhook(url: str, secret: str, name: str = "hook", timeout_s: float = 5) -> dict[str, Any]:
    return {"type": "webhook", "name": name, "url": url, "secret": secret, "timeout_s": timeout_s}


def channels_json(*configs: dict[str, Any]) -> SecretStr:
    return SecretStr(json.dumps(list(configs)))


async def _no_broker(topic: str, payload: bytes, qos: int, retain: bool) -> None:
    raise AssertionError("this test configured no MQTT channel")


@asynccontextmanager
async def database(url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(url)
    await migrate.upgrade(engine)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def running(
    service: MessageService,
) -> AsyncIterator[MessageService]:
    task = asyncio.create_task(service.run())
    try:
        yield service
    finally:
        await service.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def service(
    sessions: async_sessionmaker[AsyncSession],
    *configs: dict[str, Any],
    policy: RetryPolicy = FAST,
    publish: Callable[[str, bytes, int, bool], Awaitable[None]] = _no_broker,
) -> MessageService:
    return MessageService(sessions, parse_channels(json.dumps(list(configs))), publish, policy)


async def rows(sessions: async_sessionmaker[AsyncSession]) -> list[NotifyDelivery]:
    async with sessions() as s:
        return list((await s.scalars(select(NotifyDelivery).order_by(NotifyDelivery.id))).all())


async def until_rows(
    sessions: async_sessionmaker[AsyncSession], ok: Callable[[list[NotifyDelivery]], bool]
) -> list[NotifyDelivery]:
    """Poll the record until ``ok(rows)`` (callers bound the wait with asyncio.timeout)."""
    while True:
        got = await rows(sessions)
        if ok(got):
            return got
        await asyncio.sleep(0.05)  # polling a database, not a timing assumption


async def until_settled(
    sessions: async_sessionmaker[AsyncSession], count: int
) -> list[NotifyDelivery]:
    """Until ``count`` rows are delivered or dead."""
    return await until_rows(sessions, lambda got: sum(r.state != "pending" for r in got) >= count)
