"""Settings of telemetry: where points go (``tsdb_url``), how long the SQL default keeps them,
the ingest buffer and the bad-input limits. Mixed into :class:`cloud.settings.Settings`
(``KFLEET_*``); ``docs/telemetry.md`` explains them for operators."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class TelemetrySettings(BaseModel):
    """Fields only; :class:`cloud.settings.Settings` reads them from the environment."""

    tsdb_url: Annotated[
        str,
        Field(
            description="Where telemetry points are stored: empty = the cloud's own SQL "
            "database (raw points + 5-minute rollups); victoriametrics+http://host:port or "
            "influxdb+http://host:port?org=..&bucket=..&token=.. for a time-series database.",
        ),
    ] = ""
    tele_raw_retention_days: Annotated[
        float,
        Field(
            gt=0,
            le=3650,
            description="Days the SQL store keeps raw telemetry points; points older than "
            "this are also refused at ingest (counted as too_old).",
        ),
    ] = 7.0
    tele_rollup_retention_days: Annotated[
        float,
        Field(
            gt=0,
            le=36500,
            description="Days the SQL store keeps its 5-minute rollups (count/sum/min/max/"
            "last per series), which answer queries over long ranges.",
        ),
    ] = 365.0
    tele_buffer_points: Annotated[
        int,
        Field(
            ge=100,
            le=10_000_000,
            description="Points held in memory waiting for the store (while it is slow or "
            "down); when full, the oldest are dropped and counted.",
        ),
    ] = 200_000
    tele_batch_points: Annotated[
        int,
        Field(ge=1, le=100_000, description="Most points written to the store in one call."),
    ] = 5000
    tele_future_ms: Annotated[
        int,
        Field(
            ge=0,
            description="A point stamped further ahead of the cloud's clock than this (after "
            "correcting by the device's known clock offset) is refused (counted as future).",
        ),
    ] = 5 * 60 * 1000
    tele_max_points_per_series_min: Annotated[
        int,
        Field(
            ge=1,
            le=60_000,
            description="Most points of one series (device, metric, tags) kept per minute of "
            "the points' own time; more is a flood, refused and counted.",
        ),
    ] = 60
