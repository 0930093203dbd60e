"""Keep and read the newest value of each series (:class:`cloud.db.telemetry_latest.TeleLatest`).

Writers: telemetry ingest, once per accepted batch. Readers: the device page's "now", alert
rules over metrics, the site overview. Works on SQLite and PostgreSQL (one upsert statement
whose ``WHERE`` keeps a newer row when an older point arrives late).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.models import utcnow
from cloud.db.telemetry_latest import TeleLatest
from cloud.telemetry.model import CLOUD_TAGS, Point


def series_key(tags: Mapping[str, str]) -> str:
    """The device's own tags (not the cloud's), sorted: ``kind=x,peripheral=y``; "" if none."""
    own = sorted((k, v) for k, v in tags.items() if k not in CLOUD_TAGS)
    return ",".join(f"{k}={v}" for k, v in own)[:400]


def parse_series_key(key: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in key.split(",") if "=" in part)


@dataclass(frozen=True, slots=True)
class LatestValue:
    device_id: str
    name: str
    tags: Mapping[str, str]  # the device's own tags
    site: str
    value: float
    ts_ms: int


def _newest(points: Iterable[Point]) -> list[_Row]:
    """One row per series: the newest point of each in these points."""
    rows: dict[tuple[str, str, str], _Row] = {}
    for p in points:
        tags = p.tags
        key = (tags.get("device", ""), p.name, series_key(tags) if p.key is None else p.key)
        held = rows.get(key)
        if held is not None and held[5] >= p.ts_ms:
            continue
        rows[key] = (key[0], key[1], key[2], tags.get("site", ""), p.value, p.ts_ms)
    return list(rows.values())


#: device, name, series key, site, value, ts_ms
_Row = tuple[str, str, str, str, float, int]

# One statement run as executemany straight on the driver: through the ORM's insert()
# SQLAlchemy spent ~30 µs per row binding parameters; the driver takes ~4 µs
# (benchmarks/telemetry_ingest.py). ``WHERE``: an older point than the stored one loses.
_UPSERT = (
    "INSERT INTO tele_latest (device_id, name, series_key, site, value, ts_ms, updated_at) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}) "
    "ON CONFLICT (device_id, name, series_key) DO UPDATE SET value = excluded.value, "
    "ts_ms = excluded.ts_ms, site = excluded.site, updated_at = excluded.updated_at "
    "WHERE tele_latest.ts_ms <= excluded.ts_ms"
)
_SQL = {"sqlite": _UPSERT.format(p="?"), "postgresql": _UPSERT.format(p="%s")}


def _stamp(dialect: str) -> object:
    """``updated_at`` as the column stores it (``UtcDateTime``: naive UTC text on SQLite)."""
    now = utcnow()
    if dialect == "sqlite":
        return now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


async def upsert_latest(session: AsyncSession, points: Sequence[Point]) -> None:
    """Record the newest value of each series among ``points`` (the caller commits). An
    older point than the stored one changes nothing, whatever order points arrive in."""
    rows = sorted(_newest(points))  # one lock order in every cloud worker: no deadlock
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    stamp = _stamp(dialect)
    conn = await session.connection()
    await conn.exec_driver_sql(_SQL[dialect], [(*row, stamp) for row in rows])


async def latest_values(
    session: AsyncSession,
    *,
    device: str | None = None,
    site: str | None = None,
    names: Sequence[str] | None = None,
) -> list[LatestValue]:
    """Newest values of one device, or of every device in the ``site`` subtree, optionally
    only metrics ``names``."""
    q = select(TeleLatest)
    if device is not None:
        q = q.where(TeleLatest.device_id == device)
    if site is not None:
        q = q.where((TeleLatest.site == site) | TeleLatest.site.startswith(site.rstrip("/") + "/"))
    if names is not None:
        q = q.where(TeleLatest.name.in_(list(names)))
    rows = (await session.scalars(q.order_by(TeleLatest.device_id, TeleLatest.name))).all()
    return [
        LatestValue(r.device_id, r.name, parse_series_key(r.series_key), r.site, r.value, r.ts_ms)
        for r in rows
    ]
