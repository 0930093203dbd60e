"""Points written to a real VictoriaMetrics through influx_store come back with their canonical
names, every tag, their values and their own timestamps, step by step."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cloud.telemetry.model import Agg, SeriesQuery
from protocols.telemetry import PeripheralMetric, SysMetric
from tests.telemetry.tsdb_kit import MINUTE, past_minute, point, tags, vm_store
from tests.vmkit import VmServer


async def test_points_come_back_with_their_name_tags_and_values(
    victoriametrics: VmServer, uid: str
) -> None:
    t0 = past_minute()
    dev = f"kiosk-{uid}"
    odd = {"peripheral": "receipt 1,a=b\\x", "kind": "打印机"}  # every escape line protocol has
    async with vm_store(victoriametrics.url) as store:
        await store.write(
            [
                point(SysMetric.CPU_PCT, 12.5, t0, dev, "qh/hx/golmud"),
                point(SysMetric.CPU_PCT, 17.5, t0 + 20_000, dev, "qh/hx/golmud"),
                point("peripheral.pages", 3, t0, dev, "qh/hx/golmud", **odd),
                point("peripheral.errors.unplugged", 1, t0, dev, "qh/hx/golmud", **odd),
            ]
        )
        victoriametrics.flush()
        cpu = await store.query(SeriesQuery(SysMetric.CPU_PCT, t0, t0 + MINUTE, 60, device=dev))
        pages = await store.query(SeriesQuery("peripheral.pages", t0, t0 + MINUTE, 60, device=dev))
        errors = await store.query(
            SeriesQuery("peripheral.errors.unplugged", t0, t0 + MINUTE, 60, device=dev)
        )
    assert [(s.name, dict(s.labels), s.points) for s in cpu] == [
        ("sys.cpu_pct", {"device": dev}, [(t0, 15.0)])
    ]
    assert [(s.name, dict(s.labels), s.points) for s in pages] == [
        ("peripheral.pages", {"device": dev, **odd}, [(t0, 3.0)])
    ]
    every = await _all_tags(
        store_url=victoriametrics.url,
        q=SeriesQuery("peripheral.pages", t0, t0 + MINUTE, 60, device=dev),
    )
    assert every == [tags(dev, "qh/hx/golmud", **odd)]
    assert errors[0].name == "peripheral.errors.unplugged" and errors[0].points == [(t0, 1.0)]


@pytest.mark.parametrize(
    ("agg", "first", "second"),
    [
        (Agg.AVG, 2.0, 10.0),
        (Agg.MIN, 1.0, 10.0),
        (Agg.MAX, 3.0, 10.0),
        (Agg.SUM, 4.0, 10.0),
        (Agg.LAST, 3.0, 10.0),
        (Agg.COUNT, 2.0, 1.0),
    ],
)
async def test_each_step_aggregates_its_own_points(
    victoriametrics: VmServer, uid: str, agg: Agg, first: float, second: float
) -> None:
    """A step is [start, start+step): the point exactly on the next boundary is the next
    step's, and an empty step is absent, not zero."""
    t0 = past_minute()
    dev = f"pc-{uid}"
    async with vm_store(victoriametrics.url) as store:
        await store.write(
            [
                point(SysMetric.LOAD1, 1, t0, dev, "qh"),
                point(SysMetric.LOAD1, 3, t0 + 59_999, dev, "qh"),
                point(SysMetric.LOAD1, 10, t0 + MINUTE, dev, "qh"),
            ]
        )
        victoriametrics.flush()
        got = await store.query(
            SeriesQuery(SysMetric.LOAD1, t0, t0 + 3 * MINUTE, 60, agg=agg, device=dev)
        )
    assert [s.points for s in got] == [[(t0, first), (t0 + MINUTE, second)]]


async def _all_tags(store_url: str, q: SeriesQuery) -> list[dict[str, str]]:
    """Every tag stored with the series (a group_by on all of them)."""
    names = ("device", "role", "site", "site_l1", "site_l2", "site_l3", "kind", "peripheral")
    async with vm_store(store_url) as store:
        got = await store.query(replace(q, group_by=names))
    return [{k: v for k, v in s.labels.items() if v} for s in got]


async def _fleet(victoriametrics: VmServer, uid: str, t0: int) -> None:
    """Four printers in two prefectures of one province and one elsewhere."""
    async with vm_store(victoriametrics.url) as store:
        await store.write(
            [
                point(
                    PeripheralMetric.PAPER, 0, t0, f"a-{uid}", f"{uid}/hx/golmud", peripheral="p"
                ),
                point(
                    PeripheralMetric.PAPER, 2, t0, f"b-{uid}", f"{uid}/hx/delingha", peripheral="p"
                ),
                point(
                    PeripheralMetric.PAPER, 1, t0, f"c-{uid}", f"{uid}/hx/golmud", peripheral="q"
                ),
                point(
                    PeripheralMetric.PAPER, 2, t0, f"d-{uid}", f"{uid}/xn/chengdong", peripheral="p"
                ),
                point(
                    PeripheralMetric.PAPER, 2, t0, f"e-{uid}x", f"{uid}x/hx/golmud", peripheral="p"
                ),
            ]
        )
    victoriametrics.flush()


async def test_a_site_subtree_tag_and_group_by(victoriametrics: VmServer, uid: str) -> None:
    t0 = past_minute()
    await _fleet(victoriametrics, uid, t0)

    def q(**kw: object) -> SeriesQuery:
        return SeriesQuery(PeripheralMetric.PAPER, t0, t0 + MINUTE, 60, **kw)  # type: ignore[arg-type]

    async with vm_store(victoriametrics.url) as store:
        subtree = await store.query(q(site=f"{uid}/hx"))
        tagged = await store.query(q(site=uid, tags={"peripheral": "p"}))
        by_city = await store.query(q(site=uid, agg=Agg.SUM, group_by=("site_l3",)))
        total = await store.query(q(site=uid, agg=Agg.COUNT, group_by=()))
        avg = await store.query(q(site=f"{uid}/hx", agg=Agg.AVG, group_by=("site_l2",)))
        newest = await store.query(q(site=f"{uid}/hx", agg=Agg.LAST, group_by=("site_l2", "x")))
    assert sorted(s.labels["device"] for s in subtree) == [f"a-{uid}", f"b-{uid}", f"c-{uid}"]
    assert sorted(s.labels["device"] for s in tagged) == [f"a-{uid}", f"b-{uid}", f"d-{uid}"]
    assert [(dict(s.labels), s.points) for s in by_city] == [
        ({"site_l3": f"{uid}/hx/delingha"}, [(t0, 2.0)]),
        ({"site_l3": f"{uid}/hx/golmud"}, [(t0, 1.0)]),
        ({"site_l3": f"{uid}/xn/chengdong"}, [(t0, 2.0)]),
    ]
    assert [(dict(s.labels), s.points) for s in total] == [({}, [(t0, 4.0)])]
    assert [(dict(s.labels), s.points) for s in avg] == [({"site_l2": f"{uid}/hx"}, [(t0, 1.0)])]
    # the group's newest point (c's, 9 s after the others); a missing tag is ""
    assert [(dict(s.labels), s.points) for s in newest] == [
        ({"site_l2": f"{uid}/hx", "x": ""}, [(t0, 1.0)])
    ]


async def test_a_replayed_old_batch_lands_at_its_own_time(
    victoriametrics: VmServer, uid: str
) -> None:
    """An agent's outbox replays a batch three days late: it fills its own gap, not "now"."""
    dev = f"kiosk-{uid}"
    old = past_minute(3 * 24 * 60)
    recent = past_minute(10)
    async with vm_store(victoriametrics.url) as store:
        await store.write([point(SysMetric.DISK_PCT, 40, recent, dev, "qh")])
        await store.write([point(SysMetric.DISK_PCT, 91, old + 5_000, dev, "qh")])
        victoriametrics.flush()
        then = await store.query(SeriesQuery(SysMetric.DISK_PCT, old, old + MINUTE, 60, device=dev))
        now = await store.query(
            SeriesQuery(SysMetric.DISK_PCT, recent - 60 * MINUTE, recent + MINUTE, 60, device=dev)
        )
        raw = await store.query(
            SeriesQuery(SysMetric.DISK_PCT, old, old + MINUTE, 1, agg=Agg.LAST, device=dev)
        )
    assert [s.points for s in then] == [[(old, 91.0)]]
    assert [s.points for s in now] == [[(recent, 40.0)]]
    assert [s.points for s in raw] == [[(old + 5_000, 91.0)]]  # to the second it was taken
