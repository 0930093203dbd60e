"""REST API: validation, errors that say what to do, idempotency, cancel, sites, devices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.messages import Health, PeripheralInfo
from tests.cloudkit import FakeDevice, running_cloud

HHL = "qh/hx/golmud/hhl"


def receipt_job(device_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "print_receipt",
        "target": {"device_id": device_id},
        "params": {"lines": [{"type": "text", "text": "取号 A001"}]},
        **extra,
    }


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[tuple[Parts, httpx.AsyncClient]]:
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True, dispatch_interval_s=0.1)
    async with running_cloud(settings) as pair:
        yield pair


async def register(cloud: Parts, device: FakeDevice) -> None:
    async with cloud.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


async def test_params_validation_names_the_field(env: tuple[Parts, httpx.AsyncClient]) -> None:
    _, http = env
    body = receipt_job("whatever")
    body["params"] = {"lines": [{"type": "text", "text": "x", "width": 9}]}
    r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 422
    detail = r.json()["errors"]
    assert detail[0]["loc"] == ["body", "params", "lines", 0, "text", "width"]
    assert "less than or equal to 8" in detail[0]["msg"]


async def test_missing_params_field_and_unknown_kind_are_422(
    env: tuple[Parts, httpx.AsyncClient],
) -> None:
    _, http = env
    r = await http.post("/api/v1/jobs", json={**receipt_job("d"), "params": {}})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "params", "lines"]
    r = await http.post("/api/v1/jobs", json={**receipt_job("d"), "kind": "fax"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "kind"]
    r = await http.post("/api/v1/jobs", json={**receipt_job("d"), "ttl_s": 0})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "ttl_s"]


async def test_unknown_device_is_404(env: tuple[Parts, httpx.AsyncClient], uid: str) -> None:
    _, http = env
    r = await http.post("/api/v1/jobs", json=receipt_job(f"ghost-{uid}"))
    assert r.status_code == 404
    assert f"device 'ghost-{uid}' is not registered" in r.json()["message"]
    r = await http.get(f"/api/v1/jobs/{uid:0>32}")  # well-formed, unknown
    assert r.status_code == 404
    r = await http.get(f"/api/v1/devices/ghost-{uid}")
    assert r.status_code == 404


async def test_device_without_receipt_printer_is_refused(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    camera = PeripheralInfo(id="cam", kind="camera", capabilities=["video"], health=Health.OK)
    async with FakeDevice(amqtt_url, f"screen-{uid}", peripherals=[camera]) as dev:
        await register(cloud, dev)
        r = await http.post("/api/v1/jobs", json=receipt_job(dev.device_id))
    assert r.status_code == 409
    assert f"device screen-{uid} has no peripheral with capability receipt" in r.json()["message"]


async def test_wrong_capability_for_site_target_is_422(
    env: tuple[Parts, httpx.AsyncClient],
) -> None:
    _, http = env
    body = {**receipt_job("x"), "target": {"site": HHL, "capability": "video"}}
    r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 422
    assert "needs capability 'receipt'" in r.json()["message"]
    body["target"] = {"site": "qh/nowhere"}
    r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 404
    assert "site 'qh/nowhere' does not exist" in r.json()["message"]


async def test_idempotency_key(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        await dev.state(False)  # offline: jobs stay queued, nothing else moves them
        body = receipt_job(dev.device_id, idempotency_key=f"key-{uid}")
        first = await http.post("/api/v1/jobs", json=body)
        assert first.status_code == 201
        again = await http.post("/api/v1/jobs", json=body)
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        body["params"] = {"lines": [{"type": "text", "text": "another"}]}
        clash = await http.post("/api/v1/jobs", json=body)
        assert clash.status_code == 409
        assert "different body" in clash.json()["message"]
        listed = await http.get("/api/v1/jobs", params={"device": dev.device_id})
        assert listed.json()["total"] == 1


async def test_cancel_rules(env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        # a dispatched job: the device is asked, and it is canceled once the device confirms
        job = (await http.post("/api/v1/jobs", json=receipt_job(dev.device_id))).json()
        assert job["state"] == "dispatched"
        await dev.next_command()
        r = await http.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert r.status_code == 202
        assert r.json()["state"] == "dispatched" and r.json()["cancel_requested_at"]
        cancel_cmd = await dev.next_command()
        assert cancel_cmd.body.op == "job.cancel"
        assert cancel_cmd.body.job_id == job["id"]
        from protocols.jobs import AckState

        async with cloud.hub.subscribe(f"job:{job['id']}") as sub:
            await dev.ack(job["id"], AckState.CANCELED, reason="canceled")
            assert await sub.wait_for(lambda s: s == "canceled", 5)
        again = await http.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert again.status_code == 409
        assert "already canceled" in again.json()["message"]
        # a running job cannot be canceled
        job = (await http.post("/api/v1/jobs", json=receipt_job(dev.device_id))).json()
        await dev.next_command()
        async with cloud.hub.subscribe(f"job:{job['id']}") as sub:
            await dev.ack(job["id"], AckState.RUNNING)
            assert await sub.wait_for(lambda s: s == "running", 5)
        r = await http.post(f"/api/v1/jobs/{job['id']}/cancel")
        assert r.status_code == 409
        assert "is running" in r.json()["message"]
    events = (await http.get(f"/api/v1/jobs/{job['id']}/events")).json()
    assert [e["to_state"] for e in events] == ["queued", "dispatched", "running"]


async def test_site_tree_rules(env: tuple[Parts, httpx.AsyncClient], uid: str) -> None:
    _, http = env
    tree = (await http.get("/api/v1/sites")).json()
    assert tree[0]["path"] == "qh"
    golmud = tree[0]["children"][0]["children"][0]
    assert golmud["path"] == "qh/hx/golmud"
    assert {c["code"] for c in golmud["children"]} == {"hhl", "tgls", "bayi"}

    new = {"parent": "qh/hx/golmud", "code": f"v{uid}", "name": "某某村", "level": "village"}
    r = await http.post("/api/v1/sites", json=new)
    assert r.status_code == 201
    assert r.json()["path"] == f"qh/hx/golmud/v{uid}"
    dup = await http.post("/api/v1/sites", json=new)
    assert dup.status_code == 409
    assert "already exists" in dup.json()["message"]
    shallow = await http.post("/api/v1/sites", json={**new, "code": f"p{uid}", "level": "city"})
    assert shallow.status_code == 409  # valid, but clashes with the parent's level
    assert "cannot sit under a city" in shallow.json()["message"]
    orphan = await http.post("/api/v1/sites", json={**new, "parent": "qh/none"})
    assert orphan.status_code == 404
    bad = await http.post("/api/v1/sites", json={**new, "code": "Bad Code"})
    assert bad.status_code == 422
    assert "invalid" in bad.json()["message"]


async def test_devices_list_filters_and_detail(
    env: tuple[Parts, httpx.AsyncClient], amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with (
        FakeDevice(amqtt_url, f"a-{uid}") as a,
        FakeDevice(amqtt_url, f"b-{uid}", site="qh/hx/golmud/tgls") as b,
    ):
        await register(cloud, a)
        await register(cloud, b)
        async with cloud.hub.subscribe(f"device:{b.device_id}") as sub:
            await b.state(False)
            assert await sub.wait_for(lambda v: v == "offline", 5)
        async with cloud.hub.subscribe(f"device:{a.device_id}") as sub:
            await a.health("rp1", Health.DEGRADED, "paper low")
            assert await sub.wait_for(lambda v: v == "evt", 5)

    # The session's broker holds other tests' retained births too: look at ours only.
    def ours(devices: list[dict[str, object]]) -> list[object]:
        return [d["id"] for d in devices if str(d["id"]).endswith(uid)]

    everyone = (await http.get("/api/v1/devices", params={"site": "qh/hx"})).json()
    assert set(ours(everyone)) == {a.device_id, b.device_id}
    online = (await http.get("/api/v1/devices", params={"online": True})).json()
    assert ours(online) == [a.device_id]
    tgls = (await http.get("/api/v1/devices", params={"site": "qh/hx/golmud/tgls"})).json()
    assert {d["site"] for d in tgls} == {"qh/hx/golmud/tgls"}
    assert ours(tgls) == [b.device_id]
    detail = (await http.get(f"/api/v1/devices/{a.device_id}")).json()
    assert detail["peripherals"][0]["health"] == "degraded"
    assert detail["peripherals"][0]["reason"] == "paper low"
    assert {"birth", "registered", "peripheral_health"} <= {e["kind"] for e in detail["events"]}


async def test_health_stats_console_and_docs(env: tuple[Parts, httpx.AsyncClient]) -> None:
    _, http = env
    health = (await http.get("/healthz")).json()
    assert health == {"status": "ok", "database": True, "mqtt": True}
    stats = (await http.get("/api/v1/stats/bus")).json()
    assert stats["connected"] is True and "rejected" in stats
    page = await http.get("/")
    assert page.status_code == 200 and 'lang="zh-CN"' in page.text
    assert 'lang="en"' in (await http.get("/", params={"lang": "en"})).text
    js = await http.get("/console/console.js")
    assert js.status_code == 200 and "setInterval(refresh, 2000)" in js.text
    assert (await http.get("/console/secrets.txt")).status_code == 404
    assert (await http.get("/docs")).status_code == 200
    schema = (await http.get("/openapi.json")).json()
    assert "/api/v1/jobs/{job_id}/resolve" in schema["paths"]
