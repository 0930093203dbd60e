"""Minting tokens and trading them for credentials, with every refusal's code and message
(SQLite, an open broker: broker_acl=none)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from cloud.db import sites as site_repo
from cloud.db.identity import AuditEntry, DeviceCredential, EnrollmentToken
from cloud.db.models import Device, utcnow
from cloud.settings import Settings
from fleet.access import PersonRole
from protocols.enrollment import EnrollResponse, parse_qr_text
from tests.enrollment.kit import HHL, SECRET, TGLS, Cloud, basic, enroll, enrollment_cloud, mint
from tests.identity_kit import bearer, make_api_token


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Cloud]:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=mosquitto_url, secret_key=SECRET, public_url="https://kf.test"
    )
    async with enrollment_cloud(settings) as c:
        yield c


async def _audit(cloud: Cloud, action: str) -> list[AuditEntry]:
    async with cloud.parts.sessions() as s:
        return list((await s.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def test_mint_shows_the_token_once_with_its_qr_code(cloud: Cloud) -> None:
    minted = await mint(cloud, device_id="hhl-kiosk-07", name="Kiosk 7", ttl_s=3600)
    assert minted["token"].startswith("kfe_") and minted["state"] == "unused"
    assert parse_qr_text(minted["qr_text"]) == ("https://kf.test", minted["token"])
    assert minted["qr_svg"].startswith("<svg") and "</svg>" in minted["qr_svg"]
    lifetime = minted["expires_at"] > minted["created_at"]
    assert lifetime and minted["device_id"] == "hhl-kiosk-07"
    async with cloud.parts.sessions() as s:
        row = await s.get(EnrollmentToken, minted["id"])
    assert row is not None and minted["token"].split("_")[2] not in row.secret_hash
    r = await cloud.http.get("/api/v1/enrollment-tokens", headers=cloud.admin)
    listed = [t for t in r.json()["items"] if t["id"] == minted["id"]]
    assert listed and listed[0]["state"] == "unused" and "token" not in listed[0]
    (entry,) = await _audit(cloud, "enrollment_token.create")
    assert entry.target == f"enrollment_token:{minted['id']}" and entry.site == HHL
    assert minted["token"] not in str(entry.detail) + entry.message


async def test_mint_outside_the_callers_subtree_or_for_no_site_is_404(cloud: Cloud) -> None:
    town = await make_api_token(cloud.parts.sessions, PersonRole.TECHNICIAN, TGLS)
    hhl, tgls = await mint(cloud, HHL), await mint(cloud, TGLS)
    r = await cloud.http.get("/api/v1/enrollment-tokens", headers=bearer(town))
    assert [t["id"] for t in r.json()["items"]] == [tgls["id"]]  # its own town only
    r = await cloud.http.post(f"/api/v1/enrollment-tokens/{hhl['id']}/revoke", headers=bearer(town))
    assert r.status_code == 404
    body = {"site": HHL, "role": "kiosk"}
    r = await cloud.http.post("/api/v1/enrollment-tokens", json=body, headers=bearer(town))
    assert r.status_code == 404 and HHL in r.json()["message"]
    body = {"site": "qh/nowhere", "role": "kiosk"}
    r = await cloud.http.post("/api/v1/enrollment-tokens", json=body, headers=cloud.admin)
    assert r.status_code == 404
    staff = await make_api_token(cloud.parts.sessions, PersonRole.WINDOW_STAFF, "qh")
    r = await cloud.http.post(
        "/api/v1/enrollment-tokens", json={"site": HHL, "role": "kiosk"}, headers=bearer(staff)
    )
    assert r.status_code == 403 and "devices.enroll" in r.json()["message"]


async def test_enroll_gives_working_credentials_and_the_token_is_then_used(cloud: Cloud) -> None:
    minted = await mint(cloud, role="window")
    r = await enroll(cloud, minted["token"], "hhl-win-01")
    assert r.status_code == 200, r.text
    got = EnrollResponse.model_validate(r.json())
    assert (got.device_id, got.site, got.role.value) == ("hhl-win-01", HHL, "window")
    assert got.mqtt.username == got.mqtt.client_id == "hhl-win-01"
    assert "@" not in got.mqtt.url and got.cloud_url == "https://kf.test"
    me = await cloud.http.get("/api/v1/device/self", headers=basic("hhl-win-01", got.mqtt.password))
    assert me.status_code == 200, me.text
    assert me.json()["site"] == HHL and me.json()["revoked"] is False
    async with cloud.parts.sessions() as s:
        creds = (await s.scalars(select(DeviceCredential))).all()
    assert len(creds) == 1 and got.mqtt.password not in creds[0].secret_hash
    (entry,) = await _audit(cloud, "device.enroll")
    assert entry.detail["token_id"] == minted["id"] and entry.target == "device:hhl-win-01"
    r = await cloud.http.get("/api/v1/enrollment-tokens", headers=cloud.admin)
    (listed,) = [t for t in r.json()["items"] if t["id"] == minted["id"]]
    assert listed["state"] == "used" and listed["used_by_device"] == "hhl-win-01"


async def test_a_reused_token_is_refused_saying_when_and_by_whom(cloud: Cloud) -> None:
    minted = await mint(cloud)
    assert (await enroll(cloud, minted["token"], "hhl-k-1")).status_code == 200
    r = await enroll(cloud, minted["token"], "hhl-k-2")
    assert r.status_code == 409 and r.json()["code"] == "token_used", r.text
    assert "hhl-k-1" in r.json()["message"] and "UTC" in r.json()["message"]
    refused = await _audit(cloud, "device.enroll_refused")
    assert [e.detail["token_id"] for e in refused] == [minted["id"]]
    assert minted["token"].split("_")[2] not in str(refused[0].detail) + refused[0].message
    async with cloud.parts.sessions() as s:
        assert await s.get(Device, "hhl-k-2") is None


async def test_expired_revoked_unknown_and_malformed_tokens_each_say_so(cloud: Cloud) -> None:
    expired, revoked = await mint(cloud), await mint(cloud)
    async with cloud.parts.sessions() as s:
        await s.execute(
            update(EnrollmentToken)
            .where(EnrollmentToken.id == expired["id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await s.commit()
    r = await cloud.http.post(
        f"/api/v1/enrollment-tokens/{revoked['id']}/revoke", headers=cloud.admin
    )
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    forged = revoked["token"][:-3] + ("AAA" if not revoked["token"].endswith("AAA") else "BBB")
    cases = [
        (expired["token"], 410, "token_expired"),
        (revoked["token"], 410, "token_revoked"),
        (forged, 401, "token_unknown"),
        ("kfe_nonsense", 422, "token_malformed"),
        ("kfa_0123456789abcdef_" + "a" * 43, 422, "token_malformed"),
    ]
    for token, status, code in cases:
        r = await enroll(cloud, token, "hhl-k-x")
        assert (r.status_code, r.json()["code"]) == (status, code), (token, r.text)
    async with cloud.parts.sessions() as s:
        assert await s.get(Device, "hhl-k-x") is None


async def test_a_device_enrolled_elsewhere_is_a_conflict_until_revoked(cloud: Cloud) -> None:
    assert (await enroll(cloud, (await mint(cloud, TGLS))["token"], "dup-1")).status_code == 200
    token = (await mint(cloud, HHL))["token"]
    r = await enroll(cloud, token, "dup-1")
    assert r.status_code == 409 and r.json()["code"] == "device_conflict"
    assert TGLS in r.json()["message"] and "revoke" in r.json()["message"]
    r = await cloud.http.post(
        "/api/v1/devices/dup-1/revoke", json={"reason": "moved to hhl"}, headers=cloud.admin
    )
    assert r.status_code == 200, r.text
    r = await enroll(cloud, token, "dup-1")  # the refused attempt did not use the token
    assert r.status_code == 200 and r.json()["site"] == HHL, r.text
    async with cloud.parts.sessions() as s:
        device = await s.get(Device, "dup-1")
    assert device is not None and device.revoked_at is None


async def test_a_token_without_device_id_needs_the_device_to_propose_one(cloud: Cloud) -> None:
    minted = await mint(cloud)
    r = await enroll(cloud, minted["token"])
    assert r.status_code == 422 and r.json()["code"] == "device_id_missing"
    planned = await mint(cloud, device_id="planned-1", name="Planned")
    r = await enroll(cloud, planned["token"], "something-else")
    assert r.status_code == 200 and r.json()["device_id"] == "planned-1"
    assert r.json()["name"] == "Planned"


async def test_a_live_device_of_the_site_is_replaced_only_by_a_token_naming_it(
    cloud: Cloud,
) -> None:
    first = await enroll(cloud, (await mint(cloud))["token"], "kiosk-01")
    assert first.status_code == 200, first.text
    r = await enroll(cloud, (await mint(cloud))["token"], "kiosk-01")  # another one picked it
    assert r.status_code == 409 and r.json()["code"] == "device_conflict", r.text
    assert "mint a token for device id 'kiosk-01'" in r.json()["message"]
    old = basic("kiosk-01", first.json()["mqtt"]["password"])
    assert (await cloud.http.get("/api/v1/device/self", headers=old)).status_code == 200
    r = await enroll(cloud, (await mint(cloud, device_id="kiosk-01"))["token"])  # a replacement
    assert r.status_code == 200, r.text
    assert (await cloud.http.get("/api/v1/device/self", headers=old)).status_code == 401


async def test_a_device_registered_by_its_birth_is_adopted_by_enrollment(cloud: Cloud) -> None:
    async with cloud.parts.sessions() as s:
        site = await site_repo.require(s, HHL)
        s.add(Device(id="old-kiosk", site_id=site.id, role="kiosk", name="from a birth"))
        await s.commit()
    r = await enroll(cloud, (await mint(cloud))["token"], "old-kiosk")
    assert r.status_code == 200 and r.json()["name"] == "from a birth", r.text
