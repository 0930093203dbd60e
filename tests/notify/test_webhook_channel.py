"""The webhook channel end to end through the message service: signed, each notice once,
retried while the receiver is down, dead with the error when it never takes it, and the
alert engine's call never waits on a receiver."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from sqlalchemy import update

from cloud.notify.model import NoticeKind
from cloud.notify.rows import NotifyDelivery
from tests.notify.kit import (
    FAST,
    database,
    notice,
    rows,
    running,
    service,
    until_rows,
    until_settled,
    webhook,
)
from tests.notify.receiver import WebhookReceiver


def _db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"


async def test_each_notice_arrives_signed_and_once(tmp_path: Path) -> None:
    receiver = await WebhookReceiver().start()
    try:
        async with database(_db(tmp_path)) as sessions:
            svc = service(sessions, webhook(receiver.url, receiver.secret))
            async with running(svc), asyncio.timeout(20):
                await svc.notify(notice(1), ["hook"])
                await svc.notify(notice(1), ["hook"])  # handed over twice: one delivery
                await svc.notify(notice(1, NoticeKind.RESOLVED), ["hook"])
                await receiver.wait(lambda r: len(r.notices) == 2)
                await until_settled(sessions, 2)
            got = await rows(sessions)
    finally:
        await receiver.stop()
    assert receiver.bad_signatures == 0
    assert receiver.keys() == ["alert-7-opened-1", "alert-7-resolved-1"]
    assert receiver.notices[0]["summary"].startswith("唐古拉山镇")
    assert receiver.notices[1]["kind"] == "resolved"
    assert [(r.state, r.attempts) for r in got] == [("delivered", 1), ("delivered", 1)]


async def test_a_wrong_secret_is_caught_by_the_receiver(tmp_path: Path) -> None:
    """The receiver's check is real: signed with another secret, it refuses (and the cloud,
    told 401, does not retry a request that cannot succeed)."""
    receiver = await WebhookReceiver().start()
    try:
        async with database(_db(tmp_path)) as sessions:
            svc = service(sessions, webhook(receiver.url, "another-secret-0123456789"))
            async with running(svc), asyncio.timeout(20):
                await svc.notify(notice(1), ["hook"])
                (row,) = await until_settled(sessions, 1)
    finally:
        await receiver.stop()
    assert receiver.bad_signatures == 1 and receiver.notices == []
    assert (row.state, row.attempts) == ("dead", 1)
    assert "HTTP 401" in row.last_error


async def test_a_redelivery_is_dropped_by_key(tmp_path: Path) -> None:
    """At least once: a delivery whose outcome was lost (the instance died after sending) is
    sent again; the receiver keeps the notice once."""
    receiver = await WebhookReceiver().start()
    try:
        async with database(_db(tmp_path)) as sessions:
            svc = service(sessions, webhook(receiver.url, receiver.secret))
            await svc.notify(notice(1), ["hook"])
            async with running(svc), asyncio.timeout(20):
                await until_settled(sessions, 1)
                async with sessions() as s:  # as if the first outcome had never been recorded
                    await s.execute(update(NotifyDelivery).values(state="pending"))
                    await s.commit()
                await svc.notify(notice(2), ["hook"])  # wakes the worker
                await receiver.wait(lambda r: len(r.requests) == 3)
    finally:
        await receiver.stop()
    assert receiver.keys() == ["alert-7-opened-1", "alert-7-opened-2"]
    assert receiver.duplicates == 1


async def test_receiver_down_then_up_gets_it_after_retries(tmp_path: Path) -> None:
    receiver = await WebhookReceiver(fail_remaining=2, fail_status=503).start()
    port = receiver.port
    await receiver.stop()  # down: connection refused
    try:
        async with database(_db(tmp_path)) as sessions:
            patient = replace(FAST, max_attempts=20)
            url = f"{receiver.url}?access_token=tok-{'x' * 20}"  # robots' URLs hold a token
            svc = service(sessions, webhook(url, receiver.secret), policy=patient)
            async with running(svc), asyncio.timeout(30):
                await svc.notify(notice(1), ["hook"])
                await until_rows(sessions, lambda got: got[0].attempts >= 1)
                (row,) = await rows(sessions)
                assert row.state == "pending" and "unreachable" in row.last_error
                assert "tok-" not in row.last_error
                await receiver.start(port)  # up, but answers 503 twice first
                (row,) = await until_settled(sessions, 1)
    finally:
        await receiver.stop()
    assert receiver.keys() == ["alert-7-opened-1"]
    assert [status for status, _ in receiver.requests] == [503, 503, 200]
    assert row.state == "delivered" and row.attempts >= 4  # refused (>=1), 503, 503, ok


async def test_a_receiver_that_never_takes_it_leaves_it_dead_with_the_error(
    tmp_path: Path,
) -> None:
    receiver = await WebhookReceiver(fail_remaining=100, fail_status=502).start()
    try:
        async with database(_db(tmp_path)) as sessions:
            svc = service(sessions, webhook(receiver.url, receiver.secret))
            async with running(svc), asyncio.timeout(30):
                await svc.notify(notice(1), ["hook", "nowhere"])
                got = await until_settled(sessions, 2)
    finally:
        await receiver.stop()
    by_channel = {r.channel: r for r in got}
    hook, nowhere = by_channel["hook"], by_channel["nowhere"]
    assert (hook.state, hook.attempts) == ("dead", svc.policy.max_attempts)
    assert "HTTP 502" in hook.last_error
    assert len(receiver.requests) == svc.policy.max_attempts
    assert (nowhere.state, nowhere.attempts) == ("dead", 0)
    assert "no channel named 'nowhere'" in nowhere.last_error


async def test_notify_returns_at_once_while_the_receiver_hangs(tmp_path: Path) -> None:
    release = asyncio.Event()
    receiver = await WebhookReceiver(release=release).start()
    try:
        async with database(_db(tmp_path)) as sessions:
            svc = service(sessions, webhook(receiver.url, receiver.secret, timeout_s=60))
            async with running(svc), asyncio.timeout(30):
                await svc.notify(notice(1), ["hook"])
                await receiver.wait(lambda r: len(r.requests) == 1)  # the worker is stuck on it
                # the receiver holds its answer until released (its timeout is 60 s): a notify
                # that waited for delivery would never get past this loop, so the ten calls
                # returning at all, well inside that, is the behaviour (no wall-time bound)
                async with asyncio.timeout(20):
                    for n in range(2, 12):
                        await svc.notify(notice(n), ["hook"])
                release.set()
                await until_settled(sessions, 11)
    finally:
        release.set()
        await receiver.stop()
    assert len(receiver.notices) == 11
