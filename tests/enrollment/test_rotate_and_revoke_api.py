"""Rotation's HTTP grace, and what revoke does to the device row, its credentials, the audit
log and its jobs (an open broker: broker_acl=none; the broker side is in
test_dynsec_enrollment.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db import sites as site_repo
from cloud.db.identity import AuditEntry, DeviceCredential
from cloud.db.models import Device, Job, utcnow
from cloud.settings import Settings
from fleet.access import PersonRole
from tests.cloudkit import FakeDevice
from tests.enrollment.kit import HHL, SECRET, TGLS, Cloud, basic, enroll, enrollment_cloud, mint
from tests.identity_kit import bearer, make_api_token


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Cloud]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=mosquitto_url,
        secret_key=SECRET,
        device_credential_grace_s=0,  # the old secret stops at once: the grace's end
    )
    async with enrollment_cloud(settings) as c:
        yield c


async def _enrolled(cloud: Cloud, device_id: str, site: str = HHL) -> str:
    r = await enroll(cloud, (await mint(cloud, site))["token"], device_id)
    assert r.status_code == 200, r.text
    password: str = r.json()["mqtt"]["password"]
    return password


async def _actions(cloud: Cloud) -> list[tuple[str, str]]:
    async with cloud.parts.sessions() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(r.action, r.target) for r in rows]


async def test_after_the_grace_only_the_new_secret_works_over_http(cloud: Cloud) -> None:
    old = await _enrolled(cloud, "rot-1")
    r = await cloud.http.post("/api/v1/device/credentials/rotate", headers=basic("rot-1", old))
    assert r.status_code == 200, r.text
    new = r.json()["password"]
    refused = await cloud.http.get("/api/v1/device/self", headers=basic("rot-1", old))
    assert refused.status_code == 401 and refused.json()["code"] == "bad_device_credentials"
    assert (await cloud.http.get("/api/v1/device/self", headers=basic("rot-1", new))).is_success
    assert ("device.rotate", "device:rot-1") in await _actions(cloud)


async def test_revoke_marks_the_device_and_refuses_its_credentials(cloud: Cloud) -> None:
    password = await _enrolled(cloud, "rev-1")
    r = await cloud.http.post(
        "/api/v1/devices/rev-1/revoke", json={"reason": "left the hall"}, headers=cloud.admin
    )
    assert r.status_code == 200, r.text
    assert r.json()["credentials_revoked"] == 1 and r.json()["reason"] == "left the hall"
    async with cloud.parts.sessions() as s:
        device = await s.get(Device, "rev-1")
        creds = (
            await s.scalars(select(DeviceCredential).where(DeviceCredential.device_id == "rev-1"))
        ).all()
    assert device is not None and device.revoked_at is not None and device.online is False
    assert creds and all(c.revoked_at is not None for c in creds)  # not only the device flag
    me = await cloud.http.get("/api/v1/device/self", headers=basic("rev-1", password))
    assert me.status_code == 401
    assert ("device.revoke", "device:rev-1") in await _actions(cloud)


async def test_revoke_outside_the_callers_subtree_is_404_and_needs_the_permission(
    cloud: Cloud,
) -> None:
    await _enrolled(cloud, "rev-2", HHL)
    town = await make_api_token(cloud.parts.sessions, PersonRole.OPERATOR, TGLS)
    body = {"reason": "x"}
    r = await cloud.http.post("/api/v1/devices/rev-2/revoke", json=body, headers=bearer(town))
    assert r.status_code == 404
    tech = await make_api_token(cloud.parts.sessions, PersonRole.TECHNICIAN, "qh")
    r = await cloud.http.post("/api/v1/devices/rev-2/revoke", json=body, headers=bearer(tech))
    assert r.status_code == 403 and "devices.revoke" in r.json()["message"]
    r = await cloud.http.post("/api/v1/devices/nobody/revoke", json=body, headers=cloud.admin)
    assert r.status_code == 404
    async with cloud.parts.sessions() as s:
        device = await s.get(Device, "rev-2")
    assert device is not None and device.revoked_at is None


async def _job(cloud: Cloud, state: str, *, device: str, site_job: bool, kind: str) -> str:
    """A job in ``state`` held by (or aimed at) ``device``, written directly."""
    now = utcnow()
    job_id = uuid.uuid4().hex
    async with cloud.parts.sessions() as s:
        site = await site_repo.require(s, HHL)
        s.add(
            Job(
                id=job_id,
                request_hash="x",
                kind=kind,
                capability="receipt",
                site_id=site.id,
                target_device_id=None if site_job else device,
                target_site_id=site.id if site_job else None,
                assigned_device_id=None if state == "queued" else device,
                state=state,
                params={},
                attempts=1,
                max_attempts=3,
                ttl_s=600,
                expires_at=now + timedelta(minutes=10),
            )
        )
        await s.commit()
    return job_id


async def test_revoke_settles_each_kind_of_job_by_the_rules(cloud: Cloud) -> None:
    await _enrolled(cloud, "jobs-1")
    own = {
        st: await _job(cloud, st, device="jobs-1", site_job=False, kind="print_receipt")
        for st in ("queued", "dispatched", "running", "uncertain")
    }
    site_sent = await _job(
        cloud, "dispatched", device="jobs-1", site_job=True, kind="print_receipt"
    )
    site_printing = await _job(
        cloud, "running", device="jobs-1", site_job=True, kind="print_receipt"
    )
    site_snap = await _job(cloud, "running", device="jobs-1", site_job=True, kind="snapshot")
    r = await cloud.http.post(
        "/api/v1/devices/jobs-1/revoke", json={"reason": "test"}, headers=cloud.admin
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert sorted(out["jobs_failed"]) == sorted(own[s] for s in ("queued", "dispatched", "running"))
    assert sorted(out["jobs_requeued"]) == sorted([site_sent, site_snap])
    assert out["jobs_uncertain"] == [site_printing]
    async with cloud.parts.sessions() as s:
        jobs = {j.id: j for j in (await s.scalars(select(Job))).all()}
    assert jobs[own["uncertain"]].state == "uncertain"  # an operator's, left alone
    assert jobs[own["running"]].reason == "device_revoked"
    assert "may have printed" in jobs[own["running"]].message
    assert jobs[site_printing].state == "uncertain" and jobs[site_sent].state == "queued"
    assert jobs[site_sent].assigned_device_id is None


async def test_a_revoked_device_s_birth_is_refused_even_on_an_open_broker(
    cloud: Cloud, mosquitto_url: str
) -> None:
    await _enrolled(cloud, "gone-1")
    r = await cloud.http.post(
        "/api/v1/devices/gone-1/revoke", json={"reason": "stolen"}, headers=cloud.admin
    )
    assert r.status_code == 200, r.text
    async with (
        cloud.parts.hub.subscribe("bus:rejected") as sub,
        FakeDevice(mosquitto_url, "gone-1", HHL) as device,
    ):
        await device.birth()
        assert await sub.wait_for(lambda v: v == "device_revoked", 15) == "device_revoked"
    async with cloud.parts.sessions() as s:
        row = await s.get(Device, "gone-1")
    assert row is not None and row.online is False
