"""The state machine against a real database: for-duration, acknowledgement, silences,
reminders, and rules edited while the evaluator runs."""

from __future__ import annotations

import pytest

from cloud.alerts import ops
from cloud.alerts.notices import Outbox
from cloud.errors import Conflict
from cloud.notify.model import NoticeKind
from tests.alerts.kit import (
    T0,
    RecordingNotifier,
    Sessions,
    add_device,
    add_rule,
    alerts,
    at,
    edit_rule,
    evaluator,
    history,
    only_rules,
    printer,
    set_device,
    silence,
)

OPENED, REMINDER, ACKED, RESOLVED = (
    NoticeKind.OPENED,
    NoticeKind.REMINDER,
    NoticeKind.ACKNOWLEDGED,
    NoticeKind.RESOLVED,
)


async def _paper_rule(db: Sessions, **cols: object) -> int:
    rule = await add_rule(db, "paper", "peripheral", {"conditions": ["paper_out"]}, **cols)
    await only_rules(db, rule)
    return rule


async def _ack(db: Sessions, notifier: RecordingNotifier, alert_id: int, when: float) -> None:
    outbox = Outbox()
    async with db() as s:
        alert = await ops.lock_alert(s, alert_id)
        assert alert is not None
        await ops.ack(s, alert, "user:op", "on my way", at(when), outbox)
        await s.commit()
    await outbox.send(notifier)


async def test_pending_until_the_condition_held_for_s_then_firing(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    await _paper_rule(db, for_s=60)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(0))
    await ev.evaluate_once(at(59))
    [alert] = await alerts(db)
    assert alert.state == "pending" and notifier.got == []
    await ev.evaluate_once(at(60))
    [alert] = await alerts(db)
    assert (alert.state, alert.fired_at) == ("firing", at(60))
    assert notifier.kinds() == [(OPENED, "peripheral:k1/rp1")]


async def test_a_condition_that_clears_while_pending_tells_nobody(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    await _paper_rule(db, for_s=60)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(0))
    await set_device(db, "k1", peripherals=[printer()])
    await ev.evaluate_once(at(30))
    [alert] = await alerts(db)
    assert (alert.state, alert.open_key) == ("cleared", None) and notifier.got == []


async def test_reminders_at_the_repeat_interval_stop_when_acknowledged(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    await _paper_rule(db, repeat_s=600)
    ev = evaluator(db, notifier)
    for t in (0, 300, 600, 900, 1200):
        await ev.evaluate_once(at(t))
    assert [k for k, _ in notifier.kinds()] == [OPENED, REMINDER, REMINDER]
    [alert] = await alerts(db)
    await _ack(db, notifier, alert.id, 1250)
    for t in (1800, 2400):
        await ev.evaluate_once(at(t))
    assert [k for k, _ in notifier.kinds()] == [OPENED, REMINDER, REMINDER, ACKED]
    [alert] = await alerts(db)
    assert (alert.state, alert.acked_by, alert.ack_note) == ("firing", "user:op", "on my way")
    assert "acknowledged" in await history(db, alert.id)
    keys = [n.key for n, _ in notifier.got]
    assert len(set(keys)) == len(keys)  # a receiver can drop redeliveries by key


async def test_a_silenced_rule_notifies_nobody_but_its_alert_opens_and_resolves(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    rule = await _paper_rule(db, repeat_s=60)
    await silence(db, rule_id=rule, start=T0, end=at(3600))
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(1))
    await ev.evaluate_once(at(120))
    [alert] = await alerts(db)
    assert alert.state == "firing"
    await _ack(db, notifier, alert.id, 130)
    await set_device(db, "k1", peripherals=[printer()])
    await ev.evaluate_once(at(200))
    assert [a.state for a in await alerts(db)] == ["resolved"]
    assert notifier.got == []


async def test_a_silence_by_device_covers_its_peripherals_and_ends_on_time(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    await add_device(db, "k2", peripherals=[printer("offline", "paper_out")])
    await _paper_rule(db)
    await silence(db, subject="device:k1", start=T0, end=at(100))
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(1))
    assert notifier.kinds() == [(OPENED, "peripheral:k2/rp1")]
    await ev.evaluate_once(at(100))  # the silence is over and k1's alert still fires: told now
    assert notifier.kinds()[-1] == (OPENED, "peripheral:k1/rp1")


async def test_a_rule_edit_applies_on_the_next_round_without_a_restart(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("degraded", "near_end")])
    rule = await _paper_rule(db)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(1))
    assert await alerts(db) == []
    await edit_rule(db, rule, params={"conditions": ["paper_out", "near_end"]}, severity="minor")
    await ev.evaluate_once(at(2))
    [alert] = await alerts(db)
    assert (alert.state, alert.severity) == ("firing", "minor")
    assert notifier.got[0][0].severity == "minor"
    await edit_rule(db, rule, enabled=False)  # disabling closes its alerts, telling nobody
    await ev.evaluate_once(at(3))
    assert [a.state for a in await alerts(db)] == ["resolved"]
    assert notifier.kinds() == [(OPENED, "peripheral:k1/rp1")]


async def test_scope_by_site_and_role(db: Sessions, notifier: RecordingNotifier) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    await add_device(db, "k2", "qh/hx/golmud/tgls", peripherals=[printer("offline", "paper_out")])
    await add_device(db, "w1", peripherals=[printer("offline", "paper_out")], role="window_pc")
    await _paper_rule(db, site="qh/hx/golmud/hhl", role="kiosk")
    await evaluator(db, notifier).evaluate_once(at(1))
    assert [a.subject for a in await alerts(db)] == ["peripheral:k1/rp1"]


async def test_acknowledging_a_resolved_alert_is_refused(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    await _paper_rule(db)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(1))
    await set_device(db, "k1", peripherals=[printer()])
    await ev.evaluate_once(at(2))
    [alert] = await alerts(db)
    with pytest.raises(Conflict, match="resolved"):
        await _ack(db, notifier, alert.id, 3)
