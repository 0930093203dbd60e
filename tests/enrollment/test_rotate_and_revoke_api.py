"""Rotation's HTTP grace, and what revoke does to the device row, its credentials, the audit
log and its jobs (an open broker: broker_acl=none; the broker side is in
test_dynsec_enrollment.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.identity import AuditEntry
from cloud.db.models import Device
from cloud.settings import Settings
from fleet.access import PersonRole
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
    assert device is not None and device.revoked_at is not None and device.online is False
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
