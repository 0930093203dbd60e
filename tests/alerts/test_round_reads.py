"""A round reads devices' peripherals as stored text (SQLite) or as the driver decoded them
(PostgreSQL), decodes only what changed since the last round, and reads newest values as
columns with their series keys parsed once (issue 17): on both databases a change between two
rounds is judged by the next one."""

from __future__ import annotations

from cloud.notify.model import NoticeKind
from tests.alerts.kit import (
    RecordingNotifier,
    Sessions,
    add_device,
    add_rule,
    alerts,
    at,
    evaluator,
    metric,
    only_rules,
    printer,
    set_device,
)

OPENED, RESOLVED = NoticeKind.OPENED, NoticeKind.RESOLVED


async def test_peripherals_and_tagged_values_changed_between_rounds_are_judged_by_the_next(
    any_db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(any_db, "r1", peripherals=[printer("ok")])
    await add_device(any_db, "r2")
    await metric(
        any_db, "r2", "peripheral.paper", 0, 1000, peripheral="rp1", kind="receipt_printer"
    )
    rule = await add_rule(any_db, "paper", "peripheral", {"conditions": ["paper_out"]})
    await only_rules(any_db, rule)
    ev = evaluator(any_db, notifier)
    await ev.evaluate_once(at(1))
    assert await alerts(any_db) == []
    await set_device(any_db, "r1", peripherals=[printer("offline", "paper_out")])
    await metric(
        any_db, "r2", "peripheral.paper", 2, 2000, peripheral="rp1", kind="receipt_printer"
    )
    await ev.evaluate_once(at(2))
    assert sorted(notifier.kinds()) == [
        (OPENED, "peripheral:r1/rp1"),
        (OPENED, "peripheral:r2/rp1"),
    ]
    await set_device(any_db, "r1", peripherals=[printer("ok")])
    await ev.evaluate_once(at(3))
    states = {a.subject: a.state for a in await alerts(any_db)}
    assert states == {"peripheral:r1/rp1": "resolved", "peripheral:r2/rp1": "firing"}
