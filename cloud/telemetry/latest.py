"""Keep and read the newest value of each series (:class:`cloud.db.telemetry_latest.TeleLatest`).

Writers: telemetry ingest, once per accepted run of batches (one statement per run on
PostgreSQL, per 500 rows on SQLite). Readers: the device page's "now", alert
rules over metrics, the site overview. Works on SQLite and PostgreSQL (one upsert statement
whose ``WHERE`` keeps a newer row when an older point arrives late).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

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

_COLUMNS = "(device_id, name, series_key, site, value, ts_ms, updated_at)"
# ``WHERE``: an older point than the stored one loses.
_ON_CONFLICT = (
    " ON CONFLICT (device_id, name, series_key) DO UPDATE SET value = excluded.value, "
    "ts_ms = excluded.ts_ms, site = excluded.site, updated_at = excluded.updated_at "
    "WHERE tele_latest.ts_ms <= excluded.ts_ms"
)
#: PostgreSQL: the whole run in ONE statement, a column per array (7 parameters whatever the
#: rows). An executemany ran one statement per row on the server (issue 12's profile).
_PG_UPSERT = (
    f"INSERT INTO tele_latest {_COLUMNS} "
    "SELECT d, n, k, s, v, t, %s::timestamptz FROM unnest(%s::varchar[], %s::varchar[], "
    "%s::varchar[], %s::varchar[], %s::float8[], %s::bigint[]) AS u(d, n, k, s, v, t)"
    + _ON_CONFLICT
)
#: SQLite: rows per multi-row statement (7 parameters each; SQLite allows 32,766). The
#: driver's executemany steps the statement once per row and gives up the GIL around every
#: step: with the event loop busy, each row then waits to win it back (about twice the wall
#: time per row, and the one connection held meanwhile).
SQLITE_ROWS = 500


@lru_cache(maxsize=8)
def _sqlite_upsert(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * rows)
    return f"INSERT INTO tele_latest {_COLUMNS} VALUES {values}{_ON_CONFLICT}"


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
    if dialect == "postgresql":
        await conn.exec_driver_sql(_PG_UPSERT, (stamp, *map(list, zip(*rows, strict=True))))
        return
    for start in range(0, len(rows), SQLITE_ROWS):
        chunk = rows[start : start + SQLITE_ROWS]
        params = tuple(v for row in chunk for v in (*row, stamp))
        await conn.exec_driver_sql(_sqlite_upsert(len(chunk)), params)


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
