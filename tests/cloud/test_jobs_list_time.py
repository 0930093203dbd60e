"""``GET /api/v1/jobs?from=…&to=…``: the jobs created in a time range (the console's jobs page
filters by it), inclusive start, exclusive end, any zone, newest first; a time without its
zone is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from cloud.db import sites as site_repo
from cloud.db.models import Device, Job
from cloud.settings import Settings
from cloud.wiring import Parts
from tests.cloud.test_cloud_postgres import pg_database  # noqa: F401 (a fixture)
from tests.cloudkit import running_cloud

HOURS = (8, 9, 10)  # created_at of the three jobs, UTC, on 2026-12-01


@pytest.fixture(params=["sqlite", "postgres"])
async def env(
    request: pytest.FixtureRequest, tmp_path: Path, amqtt_url: str
) -> AsyncIterator[tuple[httpx.AsyncClient, list[str]]]:
    """Three jobs at 08:00, 09:00 and 10:00 UTC, on SQLite and on a real PostgreSQL (whose
    timestamps compare with their zones)."""
    database = {}
    if request.param == "postgres":
        database["database_url"] = request.getfixturevalue("pg_database")
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True, **database)
    async with running_cloud(settings) as (cloud, http):
        ids = [await _job_at(cloud, http, hour) for hour in HOURS]
        yield http, ids


async def _job_at(cloud: Parts, http: httpx.AsyncClient, hour: int) -> str:
    async with cloud.sessions() as s:
        if await s.get(Device, "time-kiosk") is None:
            at = await site_repo.require(s, "qh/hx/golmud/hhl")
            printer = {"id": "rp1", "kind": "receipt_printer", "capabilities": ["receipt"]}
            s.add(Device(id="time-kiosk", site_id=at.id, role="kiosk", peripherals=[printer]))
            await s.commit()
    body = {
        "kind": "print_receipt",
        "target": {"device_id": "time-kiosk"},
        "params": {"lines": [{"type": "text", "text": f"{hour} 点"}]},
    }
    r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    job_id = str(r.json()["id"])
    async with cloud.sessions() as s:
        created = datetime(2026, 12, 1, hour, tzinfo=UTC)
        await s.execute(update(Job).where(Job.id == job_id).values(created_at=created))
        await s.commit()
    return job_id


async def _ids(http: httpx.AsyncClient, **query: str) -> list[str]:
    r = await http.get("/api/v1/jobs", params={"device": "time-kiosk", **query})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == len(page["items"])
    return [j["id"] for j in page["items"]]


async def test_from_is_inclusive_to_is_exclusive(
    env: tuple[httpx.AsyncClient, list[str]],
) -> None:
    http, (at8, at9, at10) = env
    assert await _ids(http) == [at10, at9, at8]
    assert await _ids(http, **{"from": "2026-12-01T09:00:00Z"}) == [at10, at9]
    assert await _ids(http, to="2026-12-01T09:00:00Z") == [at8]
    both = {"from": "2026-12-01T08:30:00Z", "to": "2026-12-01T10:00:00Z"}
    assert await _ids(http, **both) == [at9]
    # the same instant in Beijing time: 17:00+08:00 is 09:00Z
    assert await _ids(http, **{"from": "2026-12-01T17:00:00+08:00"}) == [at10, at9]


async def test_a_time_without_its_zone_is_refused(
    env: tuple[httpx.AsyncClient, list[str]],
) -> None:
    http, _ = env
    r = await http.get("/api/v1/jobs", params={"from": "2026-12-01T09:00:00"})
    assert r.status_code == 422
