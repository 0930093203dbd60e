"""The SMS channel against the gateway simulator: what a real gateway does to a sender —
rate limits with Retry-After, 5xx, refused templates, slow answers — and how the message
service answers each (wait as told, retry, give up at once, retry)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from cloud.notify.model import NoticeKind
from simulators.sms_gateway import SmsGateway
from tests.notify.kit import FAST, database, notice, running, service, until_settled

PHONES = ["+8613800000001", "+8613800000002"]


def sms(gw: SmsGateway, **over: Any) -> dict[str, Any]:
    return {
        "type": "sms",
        "name": "oncall",
        "url": gw.url,
        "api_key": gw.api_key,
        "template_id": "KF_ALERT",
        "numbers": PHONES,
        "timeout_s": 2,
        **over,
    }


def _db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'notify.db'}"


async def test_each_number_gets_the_template_once(tmp_path: Path) -> None:
    async with SmsGateway() as gw, database(_db(tmp_path)) as sessions:
        svc = service(sessions, sms(gw))
        async with running(svc), asyncio.timeout(20):
            await svc.notify(notice(1), ["oncall"])
            await svc.notify(notice(1, NoticeKind.RESOLVED), ["oncall"])
            await until_settled(sessions, 2)
    assert [s.phone for s in gw.sent] == PHONES * 2
    assert gw.sent[0].text.startswith("【kfleet】告警：qh/hx/golmud/hhl 唐古拉山镇")
    assert gw.sent[2].params["state"] == "已恢复"


async def test_429_retry_after_is_honoured(tmp_path: Path) -> None:
    """The gateway says "not before 1 s": the next attempt waits that long, although the
    service's own backoff (50 ms) would have tried twenty times by then."""
    async with SmsGateway() as gw, database(_db(tmp_path)) as sessions:
        gw.fail_next(1, 429, retry_after_s=1)
        svc = service(sessions, sms(gw, numbers=PHONES[:1]))
        async with running(svc), asyncio.timeout(20):
            await svc.notify(notice(1), ["oncall"])
            (row,) = await until_settled(sessions, 1)
    assert [status for status, _ in gw.requests] == [429, 200]
    assert row.state == "delivered" and row.attempts == 2
    refused_at = row.created_at.timestamp()
    assert gw.sent[0].at - refused_at >= 0.95, "sent again before Retry-After said"


async def test_a_numbers_rate_limit_delays_its_second_message(tmp_path: Path) -> None:
    async with SmsGateway(per_number_interval_s=1.0) as gw, database(_db(tmp_path)) as sessions:
        svc = service(sessions, sms(gw, numbers=PHONES[:1]))
        async with running(svc), asyncio.timeout(20):
            await svc.notify(notice(1), ["oncall"])
            await svc.notify(notice(2), ["oncall"])
            got = await until_settled(sessions, 2)
    assert [r.state for r in got] == ["delivered", "delivered"]
    assert ("429", "RateLimited") in [(str(s), c) for s, c in gw.requests]
    assert gw.sent[1].at - gw.sent[0].at >= 0.95


async def test_5xx_is_retried_until_sent(tmp_path: Path) -> None:
    async with SmsGateway() as gw, database(_db(tmp_path)) as sessions:
        gw.fail_next(2, 503)
        svc = service(sessions, sms(gw, numbers=PHONES[:1]))
        async with running(svc), asyncio.timeout(20):
            await svc.notify(notice(1), ["oncall"])
            (row,) = await until_settled(sessions, 1)
    assert [status for status, _ in gw.requests] == [503, 503, 200]
    assert (row.state, row.attempts) == ("delivered", 3)
    assert len(gw.sent) == 1


async def test_a_refused_template_is_dead_at_once(tmp_path: Path) -> None:
    async with SmsGateway() as gw, database(_db(tmp_path)) as sessions:
        svc = service(sessions, sms(gw, template_id="NO_SUCH"))
        async with running(svc), asyncio.timeout(20):
            await svc.notify(notice(1), ["oncall"])
            (row,) = await until_settled(sessions, 1)
    assert (row.state, row.attempts) == ("dead", 1)
    assert "InvalidTemplate" in row.last_error
    assert len(gw.requests) == len(PHONES) and gw.sent == []


async def test_a_slow_gateway_times_out_and_is_retried(tmp_path: Path) -> None:
    async with SmsGateway(stall_s=1.5) as gw, database(_db(tmp_path)) as sessions:
        svc = service(sessions, sms(gw, numbers=PHONES[:1], timeout_s=0.5))
        async with running(svc), asyncio.timeout(20):
            await svc.notify(notice(1), ["oncall"])
            await gw.wait_for(1)  # the first (too slow) answer reached nobody
            gw.stall_s = 0
            (row,) = await until_settled(sessions, 1)
    assert row.state == "delivered" and row.attempts >= 2
    assert len(gw.sent) == 1, "the gateway sent the first request too: its id makes it once"


async def test_a_partial_failure_resends_only_to_the_numbers_that_missed(tmp_path: Path) -> None:
    async with SmsGateway() as gw, database(_db(tmp_path)) as sessions:
        gw.fail_next(1, 500)  # the first number's first request
        svc = service(sessions, sms(gw), policy=replace(FAST, max_attempts=3))
        async with running(svc), asyncio.timeout(20):
            await svc.notify(notice(1), ["oncall"])
            (row,) = await until_settled(sessions, 1)
    assert row.state == "delivered" and row.attempts == 2
    assert sorted(s.phone for s in gw.sent) == PHONES  # each once; the repeat was deduplicated
