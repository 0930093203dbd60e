"""Enrollment on a real Mosquitto with dynamic security, the cloud driving it
(``broker_acl=dynsec``): enrolled devices get in, revoked ones are thrown out and kept out,
rotated passwords take over, unenrolled ones are refused."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud.broker_acl.dynsec import open_dynsec
from tests.broker_acl.clients import connect_refused, connected
from tests.broker_acl.dynsec_broker import ADMIN, DynsecBroker, running_dynsec_broker
from tests.cloudkit import FakeDevice
from tests.enrollment.dynsec_kit import (
    NOT_AUTHORIZED,
    WAIT_S,
    add_cloud_identity,
    device_for,
    dynsec_settings,
    enrolled,
    kicked,
    online,
)
from tests.enrollment.kit import Cloud, basic, enrollment_cloud


@pytest.fixture(scope="module")
def broker() -> Iterator[DynsecBroker]:
    with running_dynsec_broker() as b:
        yield b


@pytest.fixture
async def cloud(broker: DynsecBroker, tmp_path: Path, uid: str) -> AsyncIterator[Cloud]:
    await add_cloud_identity(broker)
    async with enrollment_cloud(dynsec_settings(broker, tmp_path)) as c:
        yield c


def receipt(target: dict[str, Any]) -> dict[str, Any]:
    return {
        "kind": "print_receipt",
        "target": target,
        "params": {"lines": [{"type": "text", "text": "A001"}]},
    }


async def test_an_enrolled_device_connects_and_its_birth_counts(
    cloud: Cloud, broker: DynsecBroker, uid: str
) -> None:
    answer = await enrolled(cloud, f"k-{uid}")
    assert answer["mqtt"]["url"] == f"mqtt://{broker.host}:{broker.port}"
    async with online(cloud, device_for(answer)):
        pass  # online() waited for the cloud to show it online
    assert await connect_refused(broker, f"k-{uid}", "not-its-password") == NOT_AUTHORIZED


async def test_an_unenrolled_device_s_birth_is_refused_even_if_the_broker_lets_it_in(
    cloud: Cloud, broker: DynsecBroker, uid: str
) -> None:
    """A broker identity made behind the cloud's back (no credential in the database):
    access control is on, so the birth is refused although auto-registration is on."""
    rogue = f"rogue-{uid}"
    b = broker
    async with open_dynsec(b.host, b.port, ADMIN, b.admin_password) as acl:
        await acl.add_device(rogue, "rogue-pass")
    device = FakeDevice(f"mqtt://{rogue}:rogue-pass@{b.host}:{b.port}", rogue)
    async with cloud.parts.hub.subscribe("bus:rejected") as sub, device:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "unregistered_device", WAIT_S)
    assert cloud.parts.stats.rejected["unregistered_device"] >= 1
    r = await cloud.http.get(f"/api/v1/devices/{rogue}", headers=cloud.admin)
    assert r.status_code == 404


async def test_revoke_kicks_refuses_and_settles_its_jobs(
    cloud: Cloud, broker: DynsecBroker, uid: str
) -> None:
    a, b = await enrolled(cloud, f"a-{uid}"), await enrolled(cloud, f"b-{uid}")
    async with online(cloud, device_for(a)) as dev_a:
        own = await cloud.http.post(
            "/api/v1/jobs", json=receipt({"device_id": dev_a.device_id}), headers=cloud.admin
        )
        site = await cloud.http.post(
            "/api/v1/jobs",
            json=receipt({"site": dev_a.site, "capability": "receipt"}),
            headers=cloud.admin,
        )
        assert own.status_code == site.status_code == 201, (own.text, site.text)
        sent = {(await dev_a.next_command(WAIT_S)).body.job_id for _ in range(2)}
        assert sent == {own.json()["id"], site.json()["id"]}  # both held by a
        async with online(cloud, device_for(b)) as dev_b:
            r = await cloud.http.post(
                f"/api/v1/devices/{dev_a.device_id}/revoke",
                json={"reason": "stolen from the hall"},
                headers=cloud.admin,
            )
            assert r.status_code == 200, r.text
            assert r.json()["jobs_failed"] == [own.json()["id"]]
            assert r.json()["jobs_requeued"] == [site.json()["id"]]
            assert await kicked(dev_a) is not None  # thrown out at once
            moved = await dev_b.next_command(WAIT_S)  # the site job went to b
            assert moved.body.job_id == site.json()["id"]
    assert await connect_refused(broker, a["device_id"], a["mqtt"]["password"]) == NOT_AUTHORIZED
    job = (await cloud.http.get(f"/api/v1/jobs/{own.json()['id']}", headers=cloud.admin)).json()
    assert (job["state"], job["reason"]) == ("failed", "device_revoked"), job
    assert "revoked" in job["message"]
    me = await cloud.http.get(
        "/api/v1/device/self", headers=basic(a["device_id"], a["mqtt"]["password"])
    )
    assert me.status_code == 401 and me.json()["code"] == "bad_device_credentials"


async def test_a_revoked_device_enrolled_again_gets_back_in(
    cloud: Cloud, broker: DynsecBroker, uid: str
) -> None:
    first = await enrolled(cloud, f"re-{uid}")
    r = await cloud.http.post(
        f"/api/v1/devices/re-{uid}/revoke", json={"reason": "repair"}, headers=cloud.admin
    )
    assert r.status_code == 200, r.text
    again = await enrolled(cloud, f"re-{uid}")
    assert again["mqtt"]["password"] != first["mqtt"]["password"]
    async with connected(broker, f"re-{uid}", again["mqtt"]["password"]):
        pass
    assert await connect_refused(broker, f"re-{uid}", first["mqtt"]["password"]) == NOT_AUTHORIZED


async def test_rotate_switches_mqtt_at_once_and_http_after_the_grace(
    cloud: Cloud, broker: DynsecBroker, uid: str
) -> None:
    answer = await enrolled(cloud, f"rot-{uid}")
    dev_id, old = answer["device_id"], answer["mqtt"]["password"]
    r = await cloud.http.post("/api/v1/device/credentials/rotate", headers=basic(dev_id, old))
    assert r.status_code == 200, r.text
    new = r.json()["password"]
    assert r.json()["old_valid_until_ms"] > r.json()["server_time_ms"]
    async with online(cloud, device_for(answer, new)):
        pass
    assert await connect_refused(broker, dev_id, old) == NOT_AUTHORIZED
    for password in (new, old):  # HTTP: the old one still works during the grace
        me = await cloud.http.get("/api/v1/device/self", headers=basic(dev_id, password))
        assert me.status_code == 200, me.text
