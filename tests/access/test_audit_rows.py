"""Every privileged change of the fleet leaves one audit row — who (actor), from where (ip),
what (action, target), on which site, and the result — written in the change's own
transaction: a refused change leaves neither the change nor an ``ok`` row."""

from __future__ import annotations

import hashlib

import httpx

from cloud.db.identity import AuditEntry
from fleet.access import PersonRole
from protocols.jobs import AckState
from protocols.messages import Health, PeripheralInfo
from tests.access.kit import HHL, AccessCloud
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice

BUTTON = PeripheralInfo(
    id="btn", kind="call_button", capabilities=["call_button"], health=Health.OK
)
ACTOR = "token:audit-op"
IP = "127.0.0.1"  # httpx's ASGI transport reports this client address


def receipt(device_id: str) -> dict[str, object]:
    return {
        "kind": "print_receipt",
        "target": {"device_id": device_id},
        "params": {"lines": [{"type": "text", "text": "审计"}]},
    }


def assert_row(row: AuditEntry, target: str, site: str = HHL) -> None:
    assert (row.actor, row.ip, row.target, row.site, row.result) == (ACTOR, IP, target, site, "ok")


async def _online(cloud: AccessCloud, dev: FakeDevice) -> None:
    async with cloud.parts.hub.subscribe(f"device:{dev.device_id}") as sub:
        await dev.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


async def _uncertain_job(op: httpx.AsyncClient, dev: FakeDevice) -> str:
    job = (await op.post("/api/v1/jobs", json=receipt(dev.device_id))).json()
    await dev.next_command()
    await dev.ack(job["id"], AckState.RUNNING)
    await dev.ack(job["id"], AckState.UNCERTAIN, reason="agent_restarted")
    got = (await op.get(f"/api/v1/jobs/{job['id']}", params={"wait_s": 10})).json()
    assert got["state"] == "uncertain"
    return str(job["id"])


async def test_job_create_cancel_resolve_and_call_are_audited(
    cloud: AccessCloud, amqtt_url: str, uid: str
) -> None:
    op = await cloud.as_role(PersonRole.OPERATOR, HHL, name="audit-op")
    peripherals = [RECEIPT_PRINTER, BUTTON]
    async with FakeDevice(amqtt_url, f"aud-{uid}", HHL, peripherals=peripherals) as dev:
        await _online(cloud, dev)
        created = (await op.post("/api/v1/jobs", json=receipt(dev.device_id))).json()
        await dev.next_command()
        r = await op.post(f"/api/v1/jobs/{created['id']}/cancel")
        assert r.status_code == 202  # dispatched: the device is asked
        uncertain = await _uncertain_job(op, dev)
        r = await op.post(f"/api/v1/jobs/{uncertain}/resolve", json={"action": "fail"})
        assert r.status_code == 200, r.text
        call = await op.post(f"/api/v1/devices/{dev.device_id}/peripherals/btn/actions/beep")
        assert call.status_code == 202, call.text

    creates = await cloud.audit_rows("job.create", ACTOR)
    assert [r.target for r in creates] == [f"job:{created['id']}", f"job:{uncertain}"]
    assert_row(creates[0], f"job:{created['id']}")
    assert creates[0].detail["target"] == {"device_id": dev.device_id}
    (cancel,) = await cloud.audit_rows("job.cancel", ACTOR)
    assert_row(cancel, f"job:{created['id']}")
    assert "asked the device" in cancel.message
    (resolve,) = await cloud.audit_rows("job.resolve", ACTOR)
    assert_row(resolve, f"job:{uncertain}")
    assert resolve.detail["action"] == "fail"
    (made,) = await cloud.audit_rows("call.create", ACTOR)
    assert_row(made, f"device:{dev.device_id}")
    assert made.detail["call"] == call.json()["id"] and made.detail["action"] == "beep"


async def test_a_refused_change_leaves_a_failed_row_and_no_change(
    cloud: AccessCloud, amqtt_url: str, uid: str
) -> None:
    op = await cloud.as_role(PersonRole.OPERATOR, HHL, name="audit-op")
    async with FakeDevice(amqtt_url, f"nopr-{uid}", HHL, peripherals=[BUTTON]) as dev:
        await _online(cloud, dev)
        r = await op.post("/api/v1/jobs", json=receipt(dev.device_id))
    assert r.status_code == 409  # it has no receipt printer
    assert (await op.get("/api/v1/jobs")).json()["total"] == 0
    missing = "e" * 32
    assert (await op.post(f"/api/v1/jobs/{missing}/cancel")).status_code == 404
    (create,) = await cloud.audit_rows("job.create")
    assert (create.actor, create.target, create.result) == (ACTOR, f"device:nopr-{uid}", "failed")
    assert create.message == r.json()["message"] and create.detail == {"status": 409}
    (cancel,) = await cloud.audit_rows("job.cancel")
    assert (cancel.target, cancel.result, cancel.detail) == (
        f"job:{missing}",
        "failed",
        {"status": 404},
    )


async def test_a_blob_upload_is_audited_with_its_uploader(cloud: AccessCloud) -> None:
    staff = await cloud.as_role(PersonRole.WINDOW_STAFF, HHL, name="audit-op")
    data = b"%PDF-1.4 audit"
    sha = hashlib.sha256(data).hexdigest()
    token = (await staff.post(f"/api/v1/blobs/{sha}/tokens", json={"op": "put"})).json()["token"]
    r = await staff.put(f"/api/v1/blobs/{sha}", params={"token": token}, content=data)
    assert r.status_code == 201, r.text
    anon = await cloud.client()  # the token URL alone is enough (a capability)
    assert (
        await anon.put(f"/api/v1/blobs/{sha}", params={"token": token}, content=data)
    ).is_success
    first, second = await cloud.audit_rows("blob.upload")
    assert_row(first, f"blob:{sha}", site="")
    assert first.message == "stored" and first.detail == {"size": len(data), "via": "put token"}
    assert (second.actor, second.message) == ("anonymous", "already stored")
