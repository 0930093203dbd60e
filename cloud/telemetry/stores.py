"""Which time-series store a cloud writes to: ``tsdb_url`` ("" = the SQL default).

The tsdb branch adds its schemes here (``victoriametrics+http``, ``influxdb+http``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.errors import ConfigError
from cloud.settings import Settings
from cloud.telemetry.sql_store import SqlStore
from cloud.telemetry.store import TelemetryStore


def open_store(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> TelemetryStore:
    """The store ``settings.tsdb_url`` names; nothing connects until the first write."""
    url = settings.tsdb_url.strip()
    if not url:
        return SqlStore(
            sessions,
            raw_days=settings.tele_raw_retention_days,
            rollup_days=settings.tele_rollup_retention_days,
        )
    scheme = url.split("://", 1)[0]
    raise ConfigError(
        f"KFLEET_TSDB_URL scheme {scheme!r} is not supported by this build; leave it empty "
        "for the SQL store (the cloud's own database)"
    )
