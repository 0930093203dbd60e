"""Series from the SQL default: raw points for fine steps and short ranges, 5-minute rollups
otherwise.

The database groups each series' points (or rollups) into the query's steps and returns, per
series and step, count/sum/min/max and the newest value; Python then filters the device's own
tags exactly, merges series per ``group_by`` and applies the aggregation. A step without
points is absent from the answer: a gap stays a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Select, and_, func, literal_column, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.telemetry_points import ROLLUP_MS, TelePoint, TeleRollup
from cloud.telemetry.latest import parse_series_key
from cloud.telemetry.model import CLOUD_TAGS, Agg, Series, SeriesQuery
from protocols.telemetry import site_tags

#: ranges up to this long are answered from raw points whatever the step
RAW_SPAN_MS = 3600 * 1000
ROLLUP_S = ROLLUP_MS // 1000


def normal_step(step_s: int) -> int:
    """The step a query is answered in: as asked below 5 minutes, otherwise rounded up to
    whole 5-minute rollups (so a long range never mixes buckets)."""
    if step_s < ROLLUP_S:
        return max(1, step_s)
    return -(-step_s // ROLLUP_S) * ROLLUP_S


def uses_raw(q: SeriesQuery) -> bool:
    return q.step_s < ROLLUP_S or q.end_ms - q.start_ms <= RAW_SPAN_MS


@dataclass(slots=True)
class Cell:
    """Partial aggregates of one group in one step."""

    n: int
    total: float
    lo: float
    hi: float
    last: float
    last_ts: int

    def add(self, other: Cell) -> None:
        self.n += other.n
        self.total += other.total
        self.lo = min(self.lo, other.lo)
        self.hi = max(self.hi, other.hi)
        if other.last_ts >= self.last_ts:
            self.last, self.last_ts = other.last, other.last_ts

    def value(self, agg: Agg) -> float:
        return {
            Agg.AVG: self.total / self.n,
            Agg.MIN: self.lo,
            Agg.MAX: self.hi,
            Agg.SUM: self.total,
            Agg.COUNT: float(self.n),
            Agg.LAST: self.last,
        }[agg]


def _grouped(q: SeriesQuery, step_ms: int, raw: bool) -> Select[Any]:
    """Per series and step: count, sum, min, max and the newest time, joined back to the
    row holding that newest time for its value."""
    t: Any = TelePoint if raw else TeleRollup
    ts = t.ts_ms if raw else t.bucket_ms
    # inlined: GROUP BY must repeat the expression verbatim (a bound parameter differs)
    step = literal_column(str(int(step_ms)), BigInteger)
    bucket = (ts - ts % step).label("bucket")
    if raw:
        aggs = [func.count(), func.sum(t.value), func.min(t.value), func.max(t.value)]
        newest = func.max(t.ts_ms)
    else:
        aggs = [func.sum(t.vcount), func.sum(t.vsum), func.min(t.vmin), func.max(t.vmax)]
        newest = func.max(t.last_ts)
    # raw points from exactly ``start_ms``; rollups from the 5-minute bucket holding it
    start = q.start_ms if raw else q.start_ms - q.start_ms % ROLLUP_MS
    g = (
        select(
            t.device_id,
            t.series_key,
            t.role,
            t.site,
            bucket,
            *(a.label(f"a{i}") for i, a in enumerate(aggs)),
            newest.label("newest"),
        )
        .where(t.name == q.name, ts >= start, ts < q.end_ms, *_filters(t, q))
        .group_by(t.device_id, t.series_key, t.role, t.site, bucket)
        .subquery()
    )
    at = t.ts_ms if raw else t.last_ts
    last = t.value if raw else t.vlast
    join = and_(
        t.device_id == g.c.device_id,
        t.name == q.name,
        t.series_key == g.c.series_key,
        at == g.c.newest,
    )
    if not raw:
        join = and_(join, t.bucket_ms == g.c.newest - g.c.newest % ROLLUP_MS)
    return select(g, last.label("last")).join(t, join)


def _filters(t: Any, q: SeriesQuery) -> list[Any]:
    """What the database can narrow: device, subtree, role, site tags; own tags roughly
    (``series_key`` contains ``k=v``; :func:`_matches` checks exactly)."""
    out: list[Any] = []
    if q.device is not None:
        out.append(t.device_id == q.device)
    if q.site is not None:
        out.append(_subtree(t, q.site))
    for k, v in q.tags.items():
        if k == "device":
            out.append(t.device_id == v)
        elif k == "role":
            out.append(t.role == v)
        elif k == "site":
            out.append(t.site == v)
        elif k.startswith("site_l"):
            out.append(_subtree(t, v))
        else:
            out.append(t.series_key.contains(f"{k}={v}", autoescape=True))
    return out


def _subtree(t: Any, path: str) -> Any:
    path = path.strip("/")
    return or_(t.site == path, t.site.startswith(path + "/", autoescape=True))


def all_tags(device: str, key: str, role: str, site: str) -> dict[str, str]:
    return {**parse_series_key(key), "device": device, "role": role, **site_tags(site)}


def _matches(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(tags.get(k) == v for k, v in wanted.items())


def labels_of(tags: Mapping[str, str], group_by: tuple[str, ...] | None) -> dict[str, str]:
    """A series' labels: by default its device and the device's own tags (one series per
    device and tag set); with ``group_by``, exactly those tags (missing ones as "")."""
    if group_by is None:
        own = {k: v for k, v in tags.items() if k not in CLOUD_TAGS}
        return {"device": tags.get("device", ""), **own}
    return {k: tags.get(k, "") for k in group_by}


def merge(
    rows: Iterable[Any], q: SeriesQuery
) -> dict[tuple[tuple[str, str], ...], dict[int, Cell]]:
    """Cells of the matching rows, merged per group's labels and step."""
    groups: dict[tuple[tuple[str, str], ...], dict[int, Cell]] = {}
    for r in rows:
        tags = all_tags(r.device_id, r.series_key, r.role, r.site)
        if not _matches(tags, q.tags):
            continue
        key = tuple(sorted(labels_of(tags, q.group_by).items()))
        cell = Cell(int(r.a0), float(r.a1), float(r.a2), float(r.a3), float(r.last), r.newest)
        steps = groups.setdefault(key, {})
        if r.bucket in steps:
            steps[r.bucket].add(cell)
        else:
            steps[r.bucket] = cell
    return groups


async def run(s: AsyncSession, q: SeriesQuery) -> list[Series]:
    raw = uses_raw(q)
    step_ms = (q.step_s if raw else normal_step(q.step_s)) * 1000
    rows = (await s.execute(_grouped(q, step_ms, raw))).all()
    out = []
    for key, steps in sorted(merge(rows, q).items()):
        points = [(ts, steps[ts].value(q.agg)) for ts in sorted(steps)]
        out.append(Series(q.name, dict(key), points))
    return out
