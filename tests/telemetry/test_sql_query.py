"""Series from the SQL default: by device, by subtree, by tag; each aggregation; raw points
for fine steps and short ranges, rollups for long ones; a gap stays a gap."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.telemetry.model import Agg, SeriesQuery
from cloud.telemetry.sql_store import SqlStore
from tests.telemetry.kit import MIN, T0, pt

CPU = "sys.cpu_pct"
HOUR = 60 * MIN
DAY = 24 * HOUR


async def cpu_minutes(store: SqlStore) -> None:
    """k1 at qh/hx/golmud/hhl: one point a minute, value = the minute, for minutes 0-9 and
    20-29 of T0 (nothing in 10-19); k2 at qh/hx/golmud/tgl: 50 at minutes 0 and 1; k3 at
    qh/xn: 99 at minute 0."""
    minutes = [*range(10), *range(20, 30)]
    points = [pt("k1", CPU, m, T0 + m * MIN) for m in minutes]
    points += [pt("k2", CPU, 50, T0 + m * MIN, site="qh/hx/golmud/tgl") for m in (0, 1)]
    points.append(pt("k3", CPU, 99, T0, site="qh/xn"))
    await store.write(points)


def q(**kw: object) -> SeriesQuery:
    base: dict[str, object] = {"name": CPU, "start_ms": T0, "end_ms": T0 + HOUR}
    return SeriesQuery(**(base | kw))  # type: ignore[arg-type]


async def test_raw_steps_of_one_device_leave_the_gap_empty(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions)
    await cpu_minutes(store)
    [k1] = await store.query(q(device="k1", step_s=60))
    assert k1.labels == {"device": "k1"}
    assert k1.points == [(T0 + m * MIN, float(m)) for m in [*range(10), *range(20, 30)]]
    [k1_5] = await store.query(q(device="k1", step_s=300, agg=Agg.AVG))
    assert k1_5.points == [
        (T0, 2.0),
        (T0 + 5 * MIN, 7.0),
        (T0 + 20 * MIN, 22.0),
        (T0 + 25 * MIN, 27.0),
    ]


async def test_long_ranges_come_from_rollups_with_the_same_numbers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions)
    await cpu_minutes(store)
    day = q(device="k1", end_ms=T0 + 24 * HOUR, step_s=600)  # > 1 h: rollups, 10-min steps
    expect = {
        Agg.AVG: [(T0, 4.5), (T0 + 20 * MIN, 24.5)],
        Agg.MIN: [(T0, 0.0), (T0 + 20 * MIN, 20.0)],
        Agg.MAX: [(T0, 9.0), (T0 + 20 * MIN, 29.0)],
        Agg.SUM: [(T0, 45.0), (T0 + 20 * MIN, 245.0)],
        Agg.COUNT: [(T0, 10.0), (T0 + 20 * MIN, 10.0)],
        Agg.LAST: [(T0, 9.0), (T0 + 20 * MIN, 29.0)],
    }
    for agg, points in expect.items():
        [series] = await store.query(_with(day, agg))
        assert series.points == points, agg


def _with(base: SeriesQuery, agg: Agg) -> SeriesQuery:
    return SeriesQuery(
        base.name, base.start_ms, base.end_ms, base.step_s, agg, base.device, base.site
    )


async def test_a_subtree_holds_its_devices_and_none_beside_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions)
    await cpu_minutes(store)
    golmud = await store.query(q(site="qh/hx/golmud", step_s=300, agg=Agg.MAX))
    assert [s.labels["device"] for s in golmud] == ["k1", "k2"]
    assert await store.query(q(site="qh/hx/golmu", step_s=300)) == []  # a prefix, no subtree
    [total] = await store.query(q(site="qh", step_s=300, agg=Agg.SUM, group_by=()))
    assert total.labels == {}
    assert total.points[0] == (T0, 0 + 1 + 2 + 3 + 4 + 50 + 50 + 99.0)
    [newest] = await store.query(q(site="qh", step_s=300, agg=Agg.LAST, group_by=()))
    assert newest.points[0] == (T0, 4.0)  # k1's minute 4: the newest of all three devices
    by_l2 = await store.query(q(site="qh", step_s=300, agg=Agg.COUNT, group_by=("site_l2",)))
    assert {s.labels["site_l2"]: s.points[0][1] for s in by_l2} == {"qh/hx": 7.0, "qh/xn": 1.0}


async def test_tags_narrow_by_the_device_own_and_the_cloud_tags(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions)
    pages = "peripheral.pages"
    await store.write(
        [
            pt("k1", pages, 5, T0, peripheral="receipt", kind="receipt_printer"),
            pt("k1", pages, 7, T0, peripheral="receipt2", kind="receipt_printer"),
            pt("k1", pages, 9, T0, peripheral="a4", kind="a4_printer"),
            pt("k2", pages, 1, T0, site="qh/xn", peripheral="receipt", kind="receipt_printer"),
        ]
    )
    base = {"name": pages, "start_ms": T0, "end_ms": T0 + MIN, "step_s": 60}
    receipt = await store.query(SeriesQuery(**base, tags={"peripheral": "receipt"}))  # type: ignore[arg-type]
    assert [(s.labels, s.points) for s in receipt] == [
        ({"device": "k1", "kind": "receipt_printer", "peripheral": "receipt"}, [(T0, 5.0)]),
        ({"device": "k2", "kind": "receipt_printer", "peripheral": "receipt"}, [(T0, 1.0)]),
    ]
    kinds = await store.query(
        SeriesQuery(**base, tags={"site_l2": "qh/hx"}, group_by=("kind",), agg=Agg.SUM)  # type: ignore[arg-type]
    )
    assert {s.labels["kind"]: s.points for s in kinds} == {
        "a4_printer": [(T0, 9.0)],
        "receipt_printer": [(T0, 12.0)],
    }


async def test_long_ranges_are_answered_from_rollups_after_the_raw_points_are_gone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    store = SqlStore(sessions, raw_days=1, rollup_days=365)
    await cpu_minutes(store)
    await store.prune(datetime.fromtimestamp((T0 + 2 * DAY) / 1000, UTC))  # raw points gone
    day = {"device": "k1", "end_ms": T0 + 24 * HOUR}
    [k1] = await store.query(q(**day, step_s=3600, agg=Agg.COUNT))  # from rollups
    assert k1.points == [(T0, 20.0)]
    assert await store.query(q(**day, step_s=60)) == []  # fine steps need raw points
