"""The one interface every time-series store implements (SQL default, InfluxDB v2 writes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from cloud.telemetry.model import Point, Series, SeriesQuery


class TelemetryStore(Protocol):
    """Where points go and come back from. ``write`` is all-or-nothing per call and raises
    :class:`~cloud.telemetry.model.StoreUnavailable` when the store cannot take them (the
    caller keeps them and retries); ``query`` raises it when the store cannot answer."""

    #: for logs, ``/metrics`` and error messages: "sql", "victoriametrics", "influxdb"
    name: str

    async def write(self, points: Sequence[Point]) -> None: ...

    async def query(self, q: SeriesQuery) -> list[Series]: ...

    async def close(self) -> None: ...
