"""Operators are told through the message service: once per refused rating, and once when
forwarding has been failing longer than the alarm threshold (not on every failed attempt)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from cloud.hall.haocha.forwarder import Forwarder
from cloud.hall.haocha.notices import ForwardingNotices
from cloud.notify.model import NoticeKind, Severity
from simulators.haocha_platform import HaochaPlatform
from tests.alerts.kit import RecordingNotifier
from tests.hall.haocha_kit import (
    FAST,
    SITE,
    add_ratings,
    add_site,
    client,
    database,
    running,
    settled,
    until,
)


def _db(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'notices.db'}"


async def test_a_refused_rating_is_told_once_on_the_chosen_channels(tmp_path: Path) -> None:
    notifier = RecordingNotifier()
    notices = ForwardingNotices(notifier, ["sms"])
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        site_id = await add_site(sessions)
        (rid,) = await add_ratings(sessions, site_id, 1, level=3, reasons=["bogus!"])
        await add_ratings(sessions, site_id, 2)  # accepted: nothing to tell
        fwd = Forwarder(sessions, client(p), FAST, random.Random(1), notices)
        async with running(fwd), asyncio.timeout(20):
            await settled(sessions)
            told = await notifier.wait_for(NoticeKind.OPENED, f"site:{SITE}")
    assert [channels for _, channels in notifier.got] == [["sms"]]
    assert told.key == f"haocha:refused:{rid}:1" and told.details["rating_id"] == rid
    assert "省平台拒收" in told.summary and "InvalidReason" in told.summary


async def test_failing_longer_than_the_threshold_is_told_once(tmp_path: Path) -> None:
    notifier = RecordingNotifier()
    notices = ForwardingNotices(notifier, alarm_after_s=0.5)
    async with HaochaPlatform() as p, database(_db(tmp_path)) as sessions:
        await add_ratings(sessions, await add_site(sessions), 2)
        fwd = Forwarder(sessions, client(p, secret="wrong"), FAST, random.Random(1), notices)
        async with running(fwd), asyncio.timeout(30):
            told = await notifier.wait_for(NoticeKind.OPENED, "haocha")
            # keeps failing well past the threshold: still one notice for the spell
            await until(sessions, lambda rows: all(r.fwd_attempts >= 8 for r in rows))
    assert len(notifier.got) == 1 and told.severity is Severity.MAJOR
    assert notifier.got[0][1] == ["webhook", "sms"]  # none chosen: every channel
    assert "BadSignature" in told.summary and "评价暂存待发" in told.summary
    assert fwd.stats.failing_since is not None
