"""``/readyz`` says ready only when migrated, the database answers, the broker is connected and
every worker runs (503 with the reasons otherwise); ``/metrics`` speaks Prometheus' format and
answers only a loopback client, or a scraper with ``KFLEET_METRICS_TOKEN``."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from cloud.app import create_app
from cloud.settings import Settings
from tests.cloudkit import FakeDevice, running_cloud


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_readyz_is_ready_only_when_every_part_is(tmp_path: Path, mosquitto_url: str) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True)
    app = create_app(settings)  # lifespan not run: nothing migrated, no bus, no workers
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://kfleet"
    ) as anon:
        r = await anon.get("/readyz")
        assert r.status_code == 503
        assert r.json()["status"] == "not_ready"
        assert any("migrated" in x for x in r.json()["reasons"])
        assert "not connected to the MQTT broker" in r.json()["reasons"]
    await app.state.parts.engine.dispose()
    async with running_cloud(settings) as (_cloud, http):
        r = await http.get("/readyz")
        assert (r.status_code, r.json()) == (200, {"status": "ready", "reasons": []})
        worker = next(t for t in asyncio.all_tasks() if t.get_name() == "liveness")
        worker.cancel()
        await asyncio.wait([worker])
        r = await http.get("/readyz")
        assert r.status_code == 503
        assert r.json()["reasons"] == ["worker liveness is not running"]
        assert (await http.get("/healthz")).status_code == 200  # alive, just not ready


async def test_metrics_show_bus_jobs_devices_and_database(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, demo=True)
    async with (
        running_cloud(settings) as (cloud, http),
        FakeDevice(mosquitto_url, f"m-{uid}") as dev,
    ):
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", 10) == "online"
        r = await http.post(
            "/api/v1/jobs",
            json={
                "kind": "print_receipt",
                "target": {"device_id": dev.device_id},
                "params": {"lines": [{"type": "text", "text": "metrics"}]},
            },
        )
        assert r.status_code == 201, r.text
        await dev.next_command()
        r = await http.get("/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        got = samples(r.text)
        assert got[("kfleet_bus_connected", ())] == 1
        assert got[("kfleet_bus_messages_received_total", ())] >= 2
        assert got[("kfleet_bus_messages_handled_total", (("type", "birth"),))] == 1
        assert got[("kfleet_jobs", (("state", "dispatched"),))] == 1
        assert got[("kfleet_devices", (("liveness", "online"),))] == 1
        assert got[("kfleet_db_up", ())] == 1
        assert 0 < got[("kfleet_db_latency_seconds", ())] < 5
        assert got[("kfleet_ingest_lag_seconds_count", ())] >= 2
        assert got[("kfleet_worker_up", (("worker", "dispatcher"),))] == 1
        assert ("kfleet_bus_queue_depth", ()) in got
        assert ("kfleet_events_queue_depth", ()) in got
        assert ("kfleet_telemetry_buffered_points", ()) in got
        assert got[("kfleet_telemetry_store_down", ())] == 0


async def test_metrics_refuse_a_remote_client_without_the_token(
    tmp_path: Path, mosquitto_url: str
) -> None:
    for token in ("", "s3cret-scrape-token"):
        settings = Settings(
            data_dir=tmp_path / (token or "none"),
            mqtt_url=mosquitto_url,
            demo=True,
            metrics_token=token,
        )
        app = create_app(settings)
        remote = httpx.ASGITransport(app=app, client=("10.9.8.7", 40000))
        local = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
        async with (
            httpx.AsyncClient(transport=remote, base_url="http://k") as far,
            httpx.AsyncClient(transport=local, base_url="http://k") as near,
        ):
            r = await far.get("/metrics")
            assert r.status_code == 401 and "KFLEET_METRICS_TOKEN" in r.text
            if not token:
                assert (await near.get("/metrics")).status_code == 200
            else:
                assert (await near.get("/metrics")).status_code == 401  # a token is a token
                bad = {"Authorization": "Bearer wrong"}
                assert (await far.get("/metrics", headers=bad)).status_code == 401
                good = {"Authorization": f"Bearer {token}"}
                assert (await far.get("/metrics", headers=good)).status_code == 200
        await app.state.parts.engine.dispose()
