"""Which time-series store a cloud writes to: ``tsdb_url`` ("" = the SQL default,
``victoriametrics+http(s)://…`` or ``influxdb+http(s)://…?org=&bucket=&token=`` =
:mod:`cloud.telemetry.influx_store`).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.errors import ConfigError
from cloud.settings import Settings
from cloud.telemetry.sql_store import SqlStore
from cloud.telemetry.store import TelemetryStore
from cloud.telemetry.tsdb_target import KINDS as INFLUX_KINDS


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
    if scheme.split("+", 1)[0] in INFLUX_KINDS:
        from cloud.telemetry.influx_store import open_from_url

        try:
            return open_from_url(url)
        except ValueError as err:
            raise ConfigError(str(err)) from err
    raise ConfigError(
        f"KFLEET_TSDB_URL scheme {scheme!r} is not supported; use victoriametrics+http://host:"
        "port or influxdb+http://host:port?org=..&bucket=..&token=.., or leave it empty for "
        "the SQL store (the cloud's own database)"
    )
