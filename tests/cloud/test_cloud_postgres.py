"""The whole job flow on a real PostgreSQL, in a database made for this test and dropped after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from cloud.settings import Settings
from protocols.jobs import AckState
from tests.cloudkit import FakeDevice, running_cloud

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_database(postgres_url: str, uid: str) -> Iterator[str]:
    """A fresh database ``kf_<uid>``; yields its SQLAlchemy URL."""
    url = make_url(postgres_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"kf_{uid}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_job_flow_on_postgres(
    pg_database: str, amqtt_url: str, tmp_path: Path, uid: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=pg_database,
        mqtt_url=amqtt_url,
        demo=True,
        dispatch_interval_s=0.05,
    )
    async with running_cloud(settings) as (cloud, http), FakeDevice(amqtt_url, f"pg-{uid}") as dev:
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", 5)
        body = {
            "kind": "print_receipt",
            "target": {"device_id": dev.device_id},
            "params": {"lines": [{"type": "text", "text": "格尔木"}]},
            "idempotency_key": f"pg-{uid}",
        }
        job = (await http.post("/api/v1/jobs", json=body)).json()
        assert (await http.post("/api/v1/jobs", json=body)).json()["id"] == job["id"]
        cmd = await dev.next_command()
        assert cmd.body.job_id == job["id"]
        for state in (AckState.ACCEPTED, AckState.RUNNING, AckState.SUCCEEDED):
            await dev.ack(job["id"], state)
        done = (await http.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
        assert done["state"] == "succeeded"
        events = (await http.get(f"/api/v1/jobs/{job['id']}/events")).json()
        assert len(events) == 5
    # migrations are idempotent: a second start on the same database is fine
    async with running_cloud(settings, seed=True) as (_, http):
        assert (await http.get("/api/v1/jobs")).json()["total"] == 1
