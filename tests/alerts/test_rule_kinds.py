"""Each rule kind opens an alert when its condition holds, keeps ONE alert (and one notice)
while it goes on holding, and resolves it (telling the same people) when it clears."""

from __future__ import annotations

from cloud.notify.model import NoticeKind
from tests.alerts.kit import (
    HHL,
    T0,
    RecordingNotifier,
    Sessions,
    add_device,
    add_rule,
    alerts,
    at,
    ended_jobs,
    evaluator,
    history,
    metric,
    only_rules,
    printer,
    set_device,
)

OPENED, RESOLVED = NoticeKind.OPENED, NoticeKind.RESOLVED


async def test_presence_opens_after_n_quiet_seconds_dedupes_and_resolves_on_the_next_message(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    # heartbeat 10 s: silent 30 s after the last message; the rule wants 60 s more
    await add_device(db, "k1", last_seen=T0, heartbeat_s=10)
    rule = await add_rule(db, "quiet", "presence", {"after_s": 60, "states": ["silent"]})
    await only_rules(db, rule)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(80))  # silent since 30 s, only 50 s of it
    assert await alerts(db) == []
    await ev.evaluate_once(at(95))
    await ev.evaluate_once(at(100))
    [alert] = await alerts(db)
    assert (alert.state, alert.subject, alert.site) == ("firing", "device:k1", HHL)
    assert notifier.kinds() == [(OPENED, "device:k1")]
    assert notifier.got[0][1] == ["webhook"] and "k1" in notifier.got[0][0].summary
    await set_device(db, "k1", last_seen=at(101))
    await ev.evaluate_once(at(102))
    [alert] = await alerts(db)
    assert (alert.state, alert.open_key) == ("resolved", None)
    assert notifier.kinds() == [(OPENED, "device:k1"), (RESOLVED, "device:k1")]
    assert await history(db, alert.id) == [
        "firing",
        "notified:opened",
        "resolved",
        "notified:resolved",
    ]


async def test_an_offline_device_opens_a_presence_alert(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k2", online=False, last_seen=T0)
    rule = await add_rule(db, "offline", "presence", {"after_s": 30, "states": ["offline"]})
    await only_rules(db, rule)
    await evaluator(db, notifier).evaluate_once(at(31))
    assert notifier.kinds() == [(OPENED, "device:k2")]


async def test_paper_out_from_the_peripheral_state_and_from_the_paper_metric(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "paper_out")])
    await add_device(db, "k2")  # its health says ok, its paper sensor says out
    await metric(db, "k2", "peripheral.paper", 2, 1000, peripheral="rp1", kind="receipt_printer")
    rule = await add_rule(db, "paper", "peripheral", {"conditions": ["paper_out"]})
    await only_rules(db, rule)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(1))
    await ev.evaluate_once(at(2))
    subjects = sorted(a.subject for a in await alerts(db))
    assert subjects == ["peripheral:k1/rp1", "peripheral:k2/rp1"]
    assert len(notifier.got) == 2
    await set_device(db, "k1", peripherals=[printer()])
    await metric(db, "k2", "peripheral.paper", 0, 2000, peripheral="rp1", kind="receipt_printer")
    await ev.evaluate_once(at(3))
    assert {a.state for a in await alerts(db)} == {"resolved"}
    assert sorted(notifier.kinds())[-2:] == [
        (RESOLVED, "peripheral:k1/rp1"),
        (RESOLVED, "peripheral:k2/rp1"),
    ]


async def test_cover_open_near_end_and_unplugged_are_told_apart(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1", peripherals=[printer("offline", "cover_open")])
    await add_device(db, "k2", peripherals=[printer("degraded", "near_end")])
    await add_device(db, "k3", peripherals=[printer("offline", "unplugged")])
    cover = await add_rule(db, "cover", "peripheral", {"conditions": ["cover_open"]})
    low = await add_rule(db, "low", "peripheral", {"conditions": ["near_end"]})
    gone = await add_rule(db, "gone", "peripheral", {"conditions": ["unplugged"]})
    await only_rules(db, cover, low, gone)
    await evaluator(db, notifier).evaluate_once(at(1))
    got = {(a.rule_id, a.subject) for a in await alerts(db)}
    assert got == {
        (cover, "peripheral:k1/rp1"),
        (low, "peripheral:k2/rp1"),
        (gone, "peripheral:k3/rp1"),
    }


async def test_a_metric_threshold_opens_per_device_and_resolves_below_it(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1")
    await add_device(db, "k2")
    await metric(db, "k1", "sys.disk_pct", 95.5, 1000)
    await metric(db, "k2", "sys.disk_pct", 90.0, 1000)  # not over 90
    rule = await add_rule(
        db, "disk", "metric", {"name": "sys.disk_pct", "op": ">", "threshold": 90}
    )
    await only_rules(db, rule)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(1))
    await ev.evaluate_once(at(2))
    [alert] = await alerts(db)
    assert (alert.subject, alert.value, alert.state) == ("device:k1", 95.5, "firing")
    await metric(db, "k1", "sys.disk_pct", 40, 2000)
    await ev.evaluate_once(at(3))
    assert [a.state for a in await alerts(db)] == ["resolved"]
    assert notifier.kinds() == [(OPENED, "device:k1"), (RESOLVED, "device:k1")]


async def test_clock_skew_either_way_with_an_absolute_threshold(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    await add_device(db, "k1")
    await metric(db, "k1", "clock.offset_ms", -5000, 1000)
    params = {"name": "clock.offset_ms", "op": ">", "threshold": 2000, "absolute": True}
    rule = await add_rule(db, "skew", "metric", params)
    await only_rules(db, rule)
    await evaluator(db, notifier).evaluate_once(at(1))
    assert notifier.kinds() == [(OPENED, "device:k1")]


async def test_job_failure_rate_over_the_window(db: Sessions, notifier: RecordingNotifier) -> None:
    await add_device(db, "k1")
    await ended_jobs(db, "k1", HHL, ["failed"] * 4 + ["succeeded"] * 2, at(-600))
    rule = await add_rule(db, "jobs", "job_failure", {"window_s": 3600, "min_jobs": 5, "rate": 0.5})
    site_rule = await add_rule(
        db,
        "jobs by site",
        "job_failure",
        {"window_s": 3600, "min_jobs": 5, "rate": 0.5, "per": "site"},
    )
    await only_rules(db, rule, site_rule)
    ev = evaluator(db, notifier)
    await ev.evaluate_once(at(0))
    got = sorted((a.rule_id, a.subject, round(a.value or 0, 2)) for a in await alerts(db))
    assert got == [(rule, "device:k1", 0.67), (site_rule, f"site:{HHL}", 0.67)]
    await ev.evaluate_once(at(3600))  # the failures left the window
    assert {a.state for a in await alerts(db)} == {"resolved"}
