"""The SQL default: telemetry in the cloud's own database (SQLite or PostgreSQL).

A write inserts the batch's points into ``tele_points`` (bulk, ``ON CONFLICT DO NOTHING``:
a point already stored is skipped) and folds exactly the points that were new into their
5-minute rollups in ``tele_rollups``, in the same transaction, so rollups always agree with
what was written and a retried batch counts nothing twice. Reads: :mod:`cloud.telemetry.sql_query`.
Retention: raw points for ``tele_raw_retention_days``, rollups for
``tele_rollup_retention_days`` (``prune``, called by :class:`cloud.retention.Retention`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.telemetry_points import ROLLUP_MS, TelePoint, TeleRollup
from cloud.telemetry import sql_query
from cloud.telemetry.latest import series_key
from cloud.telemetry.model import Point, Series, SeriesQuery, StoreUnavailable

DAY_MS = 24 * 3600 * 1000
#: points per transaction (~40 ms on SQLite)
TX_POINTS = 1000
_POINT_COLUMNS = tuple(TelePoint.__table__.c)
_UNAVAILABLE = (OperationalError, InterfaceError, DBAPIError, OSError)


def point_rows(points: Iterable[Point]) -> list[dict[str, Any]]:
    """One row per distinct (series, time), a later point of the same key winning, in key
    order: two cloud processes writing overlapping series take their row locks in the same
    order, so PostgreSQL never has to break a deadlock between them."""
    rows: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    for p in points:
        key = series_key(p.tags)
        rows[(p.device, p.name, key, p.ts_ms)] = {
            "device_id": p.device,
            "name": p.name,
            "series_key": key,
            "ts_ms": p.ts_ms,
            "value": p.value,
            "role": p.tags.get("role", ""),
            "site": p.tags.get("site", ""),
        }
    return [rows[k] for k in sorted(rows)]


def rollup_rows(inserted: Iterable[Any]) -> list[dict[str, Any]]:
    """The rollup increments of newly stored points: per series and 5-minute bucket."""
    cells: dict[tuple[str, str, str, int], dict[str, Any]] = {}
    for r in inserted:
        bucket = r.ts_ms - r.ts_ms % ROLLUP_MS
        key = (r.device_id, r.name, r.series_key, bucket)
        c = cells.get(key)
        if c is None:
            cells[key] = {
                "device_id": r.device_id,
                "name": r.name,
                "series_key": r.series_key,
                "bucket_ms": bucket,
                "vcount": 1,
                "vsum": r.value,
                "vmin": r.value,
                "vmax": r.value,
                "vlast": r.value,
                "last_ts": r.ts_ms,
                "role": r.role,
                "site": r.site,
            }
            continue
        c["vcount"] += 1
        c["vsum"] += r.value
        c["vmin"] = min(c["vmin"], r.value)
        c["vmax"] = max(c["vmax"], r.value)
        if r.ts_ms >= c["last_ts"]:
            c["vlast"], c["last_ts"] = r.value, r.ts_ms
            c["role"], c["site"] = r.role, r.site
    return [cells[k] for k in sorted(cells)]  # key order, as the points


class SqlStore:
    """:class:`~cloud.telemetry.store.TelemetryStore` on the cloud's database."""

    name = "sql"

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        raw_days: float = 7.0,
        rollup_days: float = 365.0,
    ) -> None:
        self._sessions = sessions
        self.raw_ms = int(raw_days * DAY_MS)
        self.rollup_ms = int(rollup_days * DAY_MS)

    async def write(self, points: Sequence[Point]) -> None:
        """Commits every :data:`TX_POINTS` points, so other ingest (a job's ack on SQLite's
        one connection) never waits long behind a big batch; retrying after a partial write
        stores nothing twice (points already there are skipped, their rollups not added)."""
        rows = point_rows(points)
        try:
            for i in range(0, len(rows), TX_POINTS):
                await self._write(rows[i : i + TX_POINTS])
        except _UNAVAILABLE as err:
            raise StoreUnavailable(
                f"the SQL telemetry store cannot write {len(rows)} points: {_brief(err)}; "
                "the points wait in the buffer — check the database (KFLEET_DATABASE_URL)"
            ) from err

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        async with self._sessions() as s:
            module = _dialect(s)
            new = module.insert(TelePoint).on_conflict_do_nothing()
            inserted = (await s.execute(new.returning(*_POINT_COLUMNS), rows)).all()
            increments = rollup_rows(inserted)
            if increments:
                await s.execute(_fold(module), increments)
            await s.commit()

    async def query(self, q: SeriesQuery) -> list[Series]:
        try:
            async with self._sessions() as s:
                return await sql_query.run(s, q)
        except _UNAVAILABLE as err:
            raise StoreUnavailable(
                f"the SQL telemetry store cannot answer: {_brief(err)}; check the database"
            ) from err

    async def prune(self, now: datetime) -> None:
        """Delete raw points and rollups past their retention (by the points' own time)."""
        now_ms = int(now.timestamp() * 1000)
        async with self._sessions() as s:
            await s.execute(delete(TelePoint).where(TelePoint.ts_ms < now_ms - self.raw_ms))
            await s.execute(
                delete(TeleRollup).where(TeleRollup.bucket_ms < now_ms - self.rollup_ms)
            )
            await s.commit()

    async def close(self) -> None:
        """Nothing of its own to close: the sessions belong to the cloud."""


def _dialect(s: AsyncSession) -> Any:
    return postgresql if s.get_bind().dialect.name == "postgresql" else sqlite


def _fold(module: Any) -> Any:
    """Add increments to existing rollups: counts and sums add, min/max widen, the newest
    point's value wins ``vlast``."""
    stmt = module.insert(TeleRollup)
    new = stmt.excluded
    r = TeleRollup
    pg = module is postgresql
    least, greatest = (func.least, func.greatest) if pg else (func.min, func.max)
    newer: ColumnElement[bool] = new.last_ts >= r.last_ts
    return stmt.on_conflict_do_update(
        index_elements=["device_id", "name", "series_key", "bucket_ms"],
        set_={
            "vcount": r.vcount + new.vcount,
            "vsum": r.vsum + new.vsum,
            "vmin": least(r.vmin, new.vmin),
            "vmax": greatest(r.vmax, new.vmax),
            "vlast": case((newer, new.vlast), else_=r.vlast),
            "last_ts": greatest(r.last_ts, new.last_ts),
            "role": case((newer, new.role), else_=r.role),
            "site": case((newer, new.site), else_=r.site),
        },
    )


def _brief(err: Exception) -> str:
    return str(err).splitlines()[0][:300] if str(err) else type(err).__name__
