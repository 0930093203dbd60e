"""The 7x24 monitor worker: starts mon-<device> for watched devices, backs off, stops streams
whose device goes, writes stream health into telemetry, and a stalled stream opens an alert."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pydantic import ValidationError

from cloud.media.monitor import StreamMonitor, build_monitor
from cloud.notify.model import NoticeKind
from cloud.settings_media_monitor import MediaMonitorSettings
from cloud.telemetry.latest import latest_values
from fleet.alert_rules import RuleError, parse_params
from fleet.media_monitor import Plan
from tests.alerts.kit import (
    HHL,
    TGLS,
    RecordingNotifier,
    Sessions,
    add_device,
    add_rule,
    alerts,
    at,
    evaluator,
    only_rules,
    printer,
    set_device,
)
from tests.live.media_standin import Sink, StandInMedia


def camera(health: str = "ok", reason: str = "") -> dict[str, Any]:
    return {
        "id": "cam1",
        "kind": "av_camera",
        "model": "synthetic",
        "capabilities": ["snapshot", "stream"],
        "health": health,
        "reason": reason,
        "updated_at": None,
    }


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def world(db: Sessions) -> tuple[StreamMonitor, StandInMedia, Sink, Clock]:
    await add_device(db, "k1", HHL, peripherals=[camera(), printer()])
    await add_device(db, "k2", HHL, peripherals=[printer()])  # no camera
    await add_device(db, "k3", TGLS, peripherals=[camera()])  # a site not monitored
    await add_device(db, "k4", HHL, online=False, peripherals=[camera()])
    media, sink, clock = StandInMedia(), Sink(), Clock()
    monitor = StreamMonitor(db, media, sink, [HHL], grace_s=30, clock=clock)
    return monitor, media, sink, clock


async def test_only_online_devices_with_a_camera_in_monitored_sites_are_started(
    db: Sessions,
) -> None:
    monitor, media, _, _ = await world(db)
    plan = await monitor.pass_once()
    assert [d.device_id for d in plan.start] == ["k1"]
    assert media.started == [("k1", "mon-k1", "monitor", HHL)]
    await monitor.pass_once()  # still pending within the grace: not asked again
    assert len(media.started) == 1


async def test_a_start_that_never_goes_live_is_retried_with_backoff(db: Sessions) -> None:
    monitor, media, _, clock = await world(db)
    media.refuse = True  # the device cannot be asked: the pass goes on, the retry waits
    await monitor.pass_once()
    asked = []
    for step in (29, 1, 30, 29, 1, 120, 300, 300):
        clock.now += step
        await monitor.pass_once()
        asked.append(len(media.started))
    # asked at 0; again at 30 (grace), 90 (2 × grace), 210 (4 ×), 450 (8 ×), 750 (≤ 10 ×)
    assert asked == [1, 2, 2, 2, 3, 4, 5, 6]


async def test_a_live_stream_is_left_alone_and_its_health_lands_in_telemetry(
    db: Sessions,
) -> None:
    monitor, media, sink, _ = await world(db)
    await monitor.pass_once()
    media.go_live("mon-k1", "k1", HHL, fps=14.5, viewers=2)
    media.go_live("call-hc-1-kiosk", "k3", TGLS, purpose="call_kiosk", viewers=1)
    plan = await monitor.pass_once()
    assert plan.start == () and plan.stop == ()
    async with db() as s:
        values = await latest_values(s, names=["stream.fps", "stream.viewers", "stream.stalled"])
    got = {(v.device_id, v.tags["stream"], v.name): v.value for v in values}
    assert got == {
        ("k1", "mon-k1", "stream.fps"): 14.5,
        ("k1", "mon-k1", "stream.viewers"): 2,
        ("k1", "mon-k1", "stream.stalled"): 0,
        ("k3", "call-hc-1-kiosk", "stream.fps"): 15,
        ("k3", "call-hc-1-kiosk", "stream.viewers"): 1,
        ("k3", "call-hc-1-kiosk", "stream.stalled"): 0,
    }
    point = next(p for p in sink.points if p.name == "stream.bitrate_kbps")
    assert point.tags["site"] == HHL and point.tags["role"] == "kiosk"
    assert point.tags["purpose"] == "monitor" and point.tags["site_l1"] == HHL.split("/")[0]


async def test_the_stream_stops_when_the_camera_is_unplugged_or_the_device_goes(
    db: Sessions,
) -> None:
    monitor, media, _, _ = await world(db)
    await monitor.pass_once()
    media.go_live("mon-k1", "k1", HHL)
    await monitor.pass_once()
    await set_device(db, "k1", peripherals=[camera("offline", "unplugged")])
    plan = await monitor.pass_once()
    assert plan.stop == (("k1", "mon-k1"),) and media.stopped == [("k1", "mon-k1")]
    await monitor.pass_once()  # stopped once, not every pass
    assert media.stopped == [("k1", "mon-k1")]
    await set_device(db, "k1", peripherals=[camera()])  # plugged back in: started again
    await monitor.pass_once()
    assert [s[0] for s in media.started] == ["k1", "k1"]
    await set_device(db, "k1", online=False)
    plan = await monitor.pass_once()
    assert plan.stop == (("k1", "mon-k1"),)


async def test_a_stream_live_at_startup_is_adopted_not_restarted(db: Sessions) -> None:
    monitor, media, _, _ = await world(db)
    media.go_live("mon-k1", "k1", HHL)
    await monitor.pass_once()
    assert media.started == []
    await set_device(db, "k1", online=False)
    await monitor.pass_once()
    assert media.stopped == [("k1", "mon-k1")]


async def test_a_stalled_monitoring_stream_opens_an_alert_and_resolves_when_media_returns(
    db: Sessions, notifier: RecordingNotifier
) -> None:
    monitor, media, _, clock = await world(db)
    rule = await add_rule(db, "stream stalled", "stream_stalled", {"purposes": ["monitor"]})
    await only_rules(db, rule)
    ev = evaluator(db, notifier)
    await monitor.pass_once()
    media.go_live("mon-k1", "k1", HHL, state="stalled", fps=0)
    await monitor.pass_once()
    await ev.evaluate_once(at(10))
    [alert] = await alerts(db)
    assert (alert.state, alert.subject, alert.site) == ("firing", "stream:mon-k1", HHL)
    assert "mon-k1" in notifier.got[0][0].summary
    media.go_live("mon-k1", "k1", HHL)
    await monitor.pass_once()
    await ev.evaluate_once(at(20))
    [alert] = await alerts(db)
    assert alert.state == "resolved"
    # the stream vanishes (the relay dropped it): asked again at once; not back past the
    # grace: stalled
    media.live.clear()
    await monitor.pass_once()
    assert len(media.started) == 2
    await ev.evaluate_once(at(25))
    assert [a.state for a in await alerts(db)] == ["resolved"]
    clock.now += 31
    await monitor.pass_once()
    await ev.evaluate_once(at(30))
    assert [a.state for a in await alerts(db)] == ["resolved", "firing"]
    assert notifier.kinds()[-1] == (NoticeKind.OPENED, "stream:mon-k1")


def test_a_stream_rule_names_only_known_purposes() -> None:
    with pytest.raises(RuleError, match=r"params\.purposes"):
        parse_params("stream_stalled", {"purposes": ["cctv"]})
    with pytest.raises(RuleError, match=r"params\.every"):
        parse_params("stream_stalled", {"every": 1})
    assert parse_params("stream_stalled", {}).purposes == ("monitor",)  # type: ignore[union-attr]


async def test_without_a_media_plane_the_worker_does_nothing_and_ends(db: Sessions) -> None:
    settings = MediaMonitorSettings(media_monitor_sites=[HHL])
    monitor = build_monitor(settings, db, Sink(), None)
    await add_device(db, "k1", HHL, peripherals=[camera()])
    assert await monitor.pass_once() == Plan()
    async with asyncio.timeout(5):
        await monitor.run()  # returns: a worker that ended normally, not a failed one


def test_monitored_sites_are_site_paths() -> None:
    assert MediaMonitorSettings(media_monitor_sites=[HHL + "/", TGLS]).media_monitor_sites == [
        HHL,
        TGLS,
    ]
    with pytest.raises(ValidationError, match="site path such as"):
        MediaMonitorSettings(media_monitor_sites=["Pilot A"])
