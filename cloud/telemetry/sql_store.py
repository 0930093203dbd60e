"""The SQL default: telemetry in the cloud's own database (SQLite or PostgreSQL).

A write inserts the batch's points into ``tele_points`` (bulk, ``ON CONFLICT DO NOTHING``:
a point already stored is skipped) and folds exactly the points that were new into their
5-minute rollups in ``tele_rollups``, in one transaction, so rollups always agree with what
was written and a retried batch counts nothing twice. Reads: :mod:`cloud.telemetry.sql_query`.
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
#: rows per INSERT statement (SQLite allows 32766 parameters; a point row has 7)
ROWS_PER_STATEMENT = 1000
_UNAVAILABLE = (OperationalError, InterfaceError, DBAPIError, OSError)


def point_rows(points: Iterable[Point]) -> list[dict[str, Any]]:
    """One row per distinct (series, time); a later point of the same key wins."""
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
    return list(rows.values())


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
    return list(cells.values())


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
        rows = point_rows(points)
        if not rows:
            return
        try:
            async with self._sessions() as s:
                module = _dialect(s)
                inserted: list[Any] = []
                for i in range(0, len(rows), ROWS_PER_STATEMENT):
                    chunk = rows[i : i + ROWS_PER_STATEMENT]
                    stmt = module.insert(TelePoint).values(chunk).on_conflict_do_nothing()
                    result = await s.execute(stmt.returning(*TelePoint.__table__.c))
                    inserted += result.all()
                increments = rollup_rows(inserted)
                for i in range(0, len(increments), ROWS_PER_STATEMENT // 2):
                    await s.execute(_fold(module, increments[i : i + ROWS_PER_STATEMENT // 2]))
                await s.commit()
        except _UNAVAILABLE as err:
            raise StoreUnavailable(
                f"the SQL telemetry store cannot write {len(rows)} points: {_brief(err)}; "
                "the points wait in the buffer — check the database (KFLEET_DATABASE_URL)"
            ) from err

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


def _fold(module: Any, rows: list[dict[str, Any]]) -> Any:
    """Add increments to existing rollups: counts and sums add, min/max widen, the newest
    point's value wins ``vlast``."""
    stmt = module.insert(TeleRollup).values(rows)
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
