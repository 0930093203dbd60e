"""Points and stores for the VictoriaMetrics tests: whole-minute times in the past (so a step
holds exactly the points a test puts there), tags as the cloud sets them."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from cloud.telemetry.influx_store import InfluxStore, open_from_url
from cloud.telemetry.model import Point
from protocols.telemetry import site_tags

MINUTE = 60_000


def past_minute(minutes_ago: int = 30) -> int:
    """The start of a whole minute ``minutes_ago`` before now, in ms."""
    return (int(time.time() * 1000) // MINUTE - minutes_ago) * MINUTE


def tags(device: str, site: str, role: str = "kiosk", **own: str) -> dict[str, str]:
    return {"device": device, "role": role, **site_tags(site), **own}


def point(name: str, value: float, ts_ms: int, device: str, site: str, **own: str) -> Point:
    return Point(name=name, value=value, ts_ms=ts_ms, tags=tags(device, site, **own))


@asynccontextmanager
async def vm_store(url: str) -> AsyncIterator[InfluxStore]:
    store = open_from_url(url)
    assert isinstance(store, InfluxStore)
    try:
        yield store
    finally:
        await store.close()
