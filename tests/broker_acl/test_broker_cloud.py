"""The real cloud under its ``kf-cloud`` identity and a device under its own identity, on each
broker (dynsec Mosquitto, the embedded amqtt): the rules give each what the job round trip
needs (birth, cmd, ack)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cloud.app import create_app
from cloud.settings import Settings
from protocols.jobs import AckState
from protocols.topics import upstream_filter
from tests.broker_acl.conftest import CLOUD_PASSWORD, CLOUD_USER, new_id
from tests.broker_acl.under_test import BrokerUnderTest
from tests.cloudkit import FakeDevice, running_cloud
from tests.faults.procs import eventually
from tests.faults.willkit import wait_presence

PW = "device-pass-1"


def _group(broker: BrokerUnderTest) -> str | None:
    """Mosquitto takes the cloud's ``$share`` subscription; amqtt has no shared subscriptions."""
    return "kf" if broker.kind == "mosquitto" else None


async def test_job_round_trip_under_acls(broker: BrokerUnderTest, tmp_path: Path) -> None:
    dev_id = new_id()
    await broker.acl.add_device(dev_id, PW)
    b = broker
    settings = Settings(
        data_dir=tmp_path,
        database_url="",
        mqtt_url=f"mqtt://{CLOUD_USER}:{CLOUD_PASSWORD}@{b.host}:{b.port}",
        mqtt_shared_group=_group(broker),
        secret_key="broker-acl-tests-secret-0123456789abcdef",
    )
    device = FakeDevice(f"mqtt://{dev_id}:{PW}@{b.host}:{b.port}", dev_id)
    async with running_cloud(settings) as (_, client), device as dev:
        await dev.birth()
        await wait_presence(client, dev_id, online=True)  # the cloud read the birth
        body = {
            "kind": "print_receipt",
            "target": {"device_id": dev_id},
            "params": {"lines": [{"type": "text", "text": "acl"}], "cut": True},
        }
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 201, r.text
        job_id = r.json()["id"]
        cmd = await dev.next_command(timeout_s=15)
        assert cmd.body.job_id == job_id
        await dev.ack(job_id, AckState.SUCCEEDED)
        r = await client.get(f"/api/v1/jobs/{job_id}", params={"wait_s": 10})
    assert r.json()["state"] == "succeeded", r.json()


async def test_a_cloud_whose_subscription_is_refused_says_so_and_is_not_ready(
    broker: BrokerUnderTest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Logged in with an identity that may not read devices' topics (here a device's), the
    broker answers the SUBACK with a refusal: the cloud must not call itself connected (it
    would hear nothing, silently) but name the filter and the missing ACL."""
    dev_id = new_id()
    await broker.acl.add_device(dev_id, PW)
    b = broker
    settings = Settings(
        data_dir=tmp_path,
        database_url="",
        mqtt_url=f"mqtt://{dev_id}:{PW}@{b.host}:{b.port}",
        mqtt_shared_group=_group(broker),
        secret_key="broker-acl-tests-secret-0123456789abcdef",
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kfleet") as client:

            async def refused() -> bool | None:
                return True if "refused the cloud's subscription" in caplog.text else None

            await eventually(refused, 15, "the refused subscription to be logged")
            assert f"{upstream_filter(_group(broker))}'" in caplog.text and "ACL" in caplog.text
            assert not app.state.parts.bus.ready.is_set()
            health = (await client.get("/healthz")).json()
            assert health["mqtt"] is False, health
