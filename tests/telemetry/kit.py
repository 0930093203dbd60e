"""Points, stores and databases for the telemetry tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.telemetry.model import Point, Series, SeriesQuery, StoreUnavailable
from cloud.telemetry.store import TelemetryStore
from protocols.telemetry import site_tags
from tests.audit.audit_db import migrated

#: 2026-12-05 08:00 UTC, on a 5-minute boundary: the tests' time zero (ms)
T0 = 1_796_457_600_000
MIN = 60_000
HHL = "qh/hx/golmud/hhl"


def pt(device: str, name: str, value: float, ts_ms: int, site: str = HHL, **own: str) -> Point:
    """A point as the pipeline makes it: the cloud's tags plus the device's ``own``."""
    tags = {**own, "device": device, "role": "kiosk", **site_tags(site)}
    return Point(name, value, ts_ms, tags)


@asynccontextmanager
async def database(
    kind: str, tmp: Path, name: str, server: str | None
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a freshly migrated database (``tests.audit.audit_db.migrated``)."""
    async with migrated(kind, tmp, name, server) as engine:
        yield async_sessionmaker(engine, expire_on_commit=False)


class Switch:
    """A store that can be taken down: while ``down``, writes and queries raise
    :class:`StoreUnavailable` as a real store's would (connection refused)."""

    name = "switch"

    def __init__(self, inner: TelemetryStore) -> None:
        self.inner = inner
        self.down = False
        self.refused = 0

    async def write(self, points: Sequence[Point]) -> None:
        if self.down:
            self.refused += 1
            raise StoreUnavailable("switch: down for the test (connection refused)")
        await self.inner.write(points)

    async def query(self, q: SeriesQuery) -> list[Series]:
        if self.down:
            raise StoreUnavailable("switch: down for the test")
        return await self.inner.query(q)

    async def close(self) -> None:
        await self.inner.close()
