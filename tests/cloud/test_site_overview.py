"""``GET /api/v1/sites/{path}/overview``: the numbers match what the devices said and what the
jobs did — liveness (a device quiet for three heartbeats is silent), peripheral health (a device
not live vouches for nothing), paper (telemetry first, the health reason otherwise), jobs per
hour, failures — for exactly the subtree asked, and only inside the caller's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from cloud.db.models import Device, utcnow
from cloud.settings import Settings
from cloud.telemetry.latest import upsert_latest
from cloud.telemetry.model import Point
from cloud.wiring import Parts
from fleet.access import PersonRole
from protocols.envelope import wall_ms
from protocols.jobs import AckState
from protocols.messages import Health, PeripheralInfo
from protocols.telemetry import PaperCode, site_tags
from tests.cloudkit import FakeDevice, running_cloud
from tests.faults.databases import fresh_postgres
from tests.identity_kit import bearer, make_api_token

Env = tuple[Parts, httpx.AsyncClient]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    """'' (SQLite in the data directory) or a fresh database on the real PostgreSQL server."""
    if request.param == "sqlite":
        yield ""
        return
    with fresh_postgres(request.getfixturevalue("postgres_url"), f"kf_overview_{uid}") as url:
        yield url


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str, database_url: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto_url,
        demo=True,
        dispatch_interval_s=0.1,
        database_url=database_url,  # "": SQLite in data_dir
    )
    assert settings.database_url.startswith("postgresql" if database_url else "sqlite")
    async with running_cloud(settings) as pair:
        yield pair


def printer(health: Health, reason: str = "") -> list[PeripheralInfo]:
    return [
        PeripheralInfo(
            id="rp1",
            kind="receipt_printer",
            model="sim",
            capabilities=["receipt"],
            health=health,
            reason=reason,
        )
    ]


async def make_town(http: httpx.AsyncClient, uid: str) -> str:
    body = {"parent": "qh/hx/golmud", "code": f"ov{uid}", "name": f"概览街道{uid}", "level": "town"}
    r = await http.post("/api/v1/sites", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["path"])


async def register(cloud: Parts, device: FakeDevice) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


async def run_job(http: httpx.AsyncClient, device: FakeDevice, ack: AckState, reason: str) -> None:
    job = {
        "kind": "print_receipt",
        "target": {"device_id": device.device_id},
        "params": {"lines": [{"type": "text", "text": "取号 A001"}]},
        "max_attempts": 1,
    }
    r = await http.post("/api/v1/jobs", json=job)
    assert r.status_code in (200, 201, 202), r.text
    job_id = r.json()["id"]
    cmd = await device.next_command(10)
    assert cmd.body.job_id == job_id
    await device.ack(job_id, ack, reason=reason)
    done = await http.get(f"/api/v1/jobs/{job_id}", params={"wait_s": 10})
    assert done.json()["state"] == ack.value


async def seed(cloud: Parts, http: httpx.AsyncClient, url: str, town: str, uid: str) -> None:
    """a: near end (health reason, newer than its paper point saying ok); b: health ok but
    its newer paper telemetry says out; c: offline;
    d: silent. a fails one job (paper out), b succeeds one."""
    a = FakeDevice(url, f"ov-a-{uid}", town, peripherals=printer(Health.DEGRADED, "near_end"))
    b = FakeDevice(url, f"ov-b-{uid}", town, peripherals=printer(Health.OK))
    c = FakeDevice(url, f"ov-c-{uid}", town, peripherals=printer(Health.OK))
    d = FakeDevice(url, f"ov-d-{uid}", town, peripherals=printer(Health.OK))
    async with a, b, c, d:
        for dev in (a, b, c, d):
            await register(cloud, dev)
        async with cloud.hub.subscribe(f"device:{c.device_id}") as sub:
            await c.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5) == "offline"
        await run_job(http, a, AckState.FAILED, "paper_out")
        await run_job(http, b, AckState.SUCCEEDED, "")
    async with cloud.sessions() as s:
        silent = await s.get(Device, d.device_id)
        assert silent is not None
        silent.last_seen, silent.heartbeat_s, silent.online = (
            utcnow() - timedelta(minutes=10),
            60.0,
            True,
        )
        tags = {"device": b.device_id, "peripheral": "rp1", "kind": "receipt_printer"}
        paper = Point("peripheral.paper", float(PaperCode.OUT), wall_ms(), tags | site_tags(town))
        # a's paper point predates its health event (near_end): the newer word wins
        old = {**tags, "device": a.device_id}
        before = Point("peripheral.paper", 0.0, wall_ms() - 600_000, old | site_tags(town))
        await upsert_latest(s, [paper, before])
        await s.commit()


async def test_overview_numbers_match_the_seeded_subtree(
    env: Env, mosquitto_url: str, uid: str
) -> None:
    cloud, http = env
    town = await make_town(http, uid)
    await seed(cloud, http, mosquitto_url, town, uid)
    r = await http.get(f"/api/v1/sites/{town}/overview")
    assert r.status_code == 200, r.text
    o = r.json()
    assert o["site"] == town
    assert o["devices"] == {"online": 2, "silent": 1, "offline": 1, "never_seen": 0}
    assert o["peripherals"] == {"ok": 1, "degraded": 1, "offline": 0, "unknown": 2}
    assert o["paper"] == {"ok": 0, "near_end": 1, "out": 1, "unknown": 2}
    by_device = {p["device"]: p for p in o["printers"]}
    assert by_device[f"ov-b-{uid}"]["paper"] == "out"  # telemetry wins over health "ok"
    assert by_device[f"ov-b-{uid}"]["ts_ms"] is not None
    assert by_device[f"ov-a-{uid}"]["ts_ms"] is None  # from the health reason
    silent = next(d for d in o["device_list"] if d["liveness"] == "silent")
    assert silent["id"] == f"ov-d-{uid}" and "heartbeats" in silent["reason"]
    assert len(o["hours"]) == 24 and all(len(v) == 24 for v in o["jobs_per_hour"].values())
    # the jobs ran seconds ago: in this hour, or the last one when the hour turned since
    per_hour = o["jobs_per_hour"]
    assert sum(per_hour["failed"][-2:]) == 1 and sum(per_hour["succeeded"][-2:]) == 1
    assert sum(map(sum, o["jobs_per_hour"].values())) == 2
    assert o["failed_by_reason"] == {"paper_out": 1}
    assert o["failing_devices"] == [
        {"device": f"ov-a-{uid}", "failed": 1, "last_reason": "paper_out"}
    ]
    # a sibling subtree sees none of it
    other = (await http.get("/api/v1/sites/qh/hx/golmud/tgls/overview")).json()
    assert not {d["id"] for d in other["device_list"]} & set(by_device)


async def test_overview_stays_inside_the_callers_scope(env: Env, uid: str) -> None:
    cloud, http = env
    town = await make_town(http, uid)
    token = await make_api_token(cloud.sessions, PersonRole.OPERATOR, town, f"ov-op-{uid}")
    op = httpx.AsyncClient(
        transport=http._transport, base_url="http://kfleet", headers=bearer(token)
    )
    async with op:
        assert (await op.get(f"/api/v1/sites/{town}/overview")).status_code == 200
        r = await op.get("/api/v1/sites/qh/hx/golmud/overview")
        assert r.status_code == 404 and r.json()["code"] == "not_found"
        r = await op.get("/api/v1/sites/qh/hx/golmud/hhl/overview")
        assert r.status_code == 404
    r = await http.get(f"/api/v1/sites/qh/hx/nowhere{uid}/overview")
    assert r.status_code == 404 and "does not exist" in r.json()["message"]


@pytest.mark.parametrize("path", ["QH", "qh//hx", "qh/%2e%2e/hx", "a/b/c/d/e/f", "qh/h%20x"])
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_path_that_is_no_site_path_is_422(env: Env, path: str) -> None:
    _, http = env
    r = await http.get(f"/api/v1/sites/{path}/overview")
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    assert r.json()["errors"][0]["loc"] == ["path", "path"]
