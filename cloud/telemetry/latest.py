"""Keep and read the newest value of each series (:class:`cloud.db.telemetry_latest.TeleLatest`).

Writers: telemetry ingest, once per accepted batch. Readers: the device page's "now", alert
rules over metrics, the site overview. Works on SQLite and PostgreSQL (one upsert statement
whose ``WHERE`` keeps a newer row when an older point arrives late).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
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


def _newest(points: Iterable[Point]) -> list[dict[str, object]]:
    """One row per series: the newest point of each in this batch."""
    rows: dict[tuple[str, str, str], dict[str, object]] = {}
    now = utcnow()
    for p in points:
        key = (p.device, p.name, series_key(p.tags))
        if key in rows and int(rows[key]["ts_ms"]) >= p.ts_ms:  # type: ignore[call-overload]
            continue
        rows[key] = {
            "device_id": key[0],
            "name": key[1],
            "series_key": key[2],
            "site": p.tags.get("site", ""),
            "value": p.value,
            "ts_ms": p.ts_ms,
            "updated_at": now,
        }
    return list(rows.values())


async def upsert_latest(session: AsyncSession, points: Sequence[Point]) -> None:
    """Record the batch's newest values (the caller commits). An older point than the stored
    one changes nothing."""
    rows = _newest(points)
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    # executemany of one compiled statement: building a multi-VALUES statement per batch
    # cost ~4x more CPU than the rows themselves (benchmarks/telemetry_ingest.py)
    stmt = module.insert(TeleLatest)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["device_id", "name", "series_key"],
        set_={
            "value": excluded.value,
            "ts_ms": excluded.ts_ms,
            "site": excluded.site,
            "updated_at": excluded.updated_at,
        },
        where=TeleLatest.ts_ms <= excluded.ts_ms,
    )
    await session.execute(stmt, rows)


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
