"""While the cloud's bus is behind, the evaluator lets its timed rounds pass (a round reads the
whole fleet; issue 17), but never more than ``MAX_DEFERRED`` in a row: an alert comes late,
never not at all. A wake (the API changed a rule or an alert) always evaluates."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cloud.alerts.evaluator import MAX_DEFERRED, Evaluator
from cloud.notify.model import Notice, NoticeKind
from tests.alerts.kit import (
    T0,
    RecordingNotifier,
    Sessions,
    add_device,
    add_rule,
    at,
    only_rules,
    set_device,
)

OPENED = NoticeKind.OPENED


@dataclass
class CountingNotifier(RecordingNotifier):
    """Also notes the evaluator's rounds and deferrals when each notice is told (a notice
    goes out right after its round, before the evaluator's loop goes on)."""

    evaluator: Evaluator | None = None
    counts: list[tuple[int, int]] = field(default_factory=list)

    async def notify(self, notice: Notice, channels: Sequence[str]) -> None:
        assert self.evaluator is not None
        self.counts.append((self.evaluator.rounds, self.evaluator.deferred))
        await super().notify(notice, channels)


@contextlib.asynccontextmanager
async def running(ev: Evaluator) -> AsyncIterator[None]:
    task = asyncio.create_task(ev.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_timed_rounds_pass_while_behind_at_most_max_deferred_in_a_row(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    behind = [True]
    ev = Evaluator(db, notifier, interval_s=60, behind=lambda: behind[0])
    assert [ev.defer() for _ in range(MAX_DEFERRED + 2)] == [True] * MAX_DEFERRED + [False, True]
    behind[0] = False
    assert not ev.defer()
    behind[0] = True
    assert [ev.defer() for _ in range(MAX_DEFERRED + 1)] == [True] * MAX_DEFERRED + [False]
    assert ev.deferred == 2 * MAX_DEFERRED + 1
    assert not Evaluator(db, notifier, interval_s=60).defer()  # no bus to ask: never


async def test_a_device_offline_too_long_still_opens_its_alert_while_the_bus_stays_behind(
    db: Sessions,
) -> None:
    await add_device(db, "k2", online=False, last_seen=T0)
    rule = await add_rule(db, "offline", "presence", {"after_s": 30, "states": ["offline"]})
    await only_rules(db, rule)
    times = iter([at(0)])  # the round at start: offline for 0 s only; then 100 s

    def clock() -> datetime:
        return next(times, at(100))

    notifier = CountingNotifier()
    ev = Evaluator(db, notifier, interval_s=0.01, clock=clock, behind=lambda: True)
    notifier.evaluator = ev
    async with running(ev):
        await notifier.wait_for(OPENED, "device:k2")
    # the round at start, MAX_DEFERRED timed rounds let pass, then the round that opened it
    assert notifier.counts[0] == (2, MAX_DEFERRED)
    assert notifier.kinds() == [(OPENED, "device:k2")]


async def test_a_wake_evaluates_while_the_bus_is_behind(db: Sessions) -> None:
    await add_device(db, "k1", online=False, last_seen=T0)
    await add_device(db, "k2", online=True, last_seen=T0)
    rule = await add_rule(db, "offline", "presence", {"after_s": 30, "states": ["offline"]})
    await only_rules(db, rule)
    notifier = CountingNotifier()
    clock: Callable[[], datetime] = lambda: at(100)  # noqa: E731
    ev = Evaluator(db, notifier, interval_s=3600, clock=clock, behind=lambda: True)
    notifier.evaluator = ev
    async with running(ev):
        await notifier.wait_for(OPENED, "device:k1")  # the round at start
        await set_device(db, "k2", online=False)
        ev.wake()
        await notifier.wait_for(OPENED, "device:k2")
    assert notifier.counts == [(1, 0), (2, 0)]
