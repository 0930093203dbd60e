"""``kfleet provision enroll`` against a real cloud refusing the token: unknown, used, expired,
revoked, its site gone, the device id taken at another site — each its own exit code and a
sentence saying what to do; nothing is written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from provisioning.enroll_errors import (
    DeviceConflict,
    SiteUnknown,
    TokenExpired,
    TokenRevoked,
    TokenUnknown,
    TokenUsed,
)
from tests.identity_kit import bearer
from tests.provisioning.enroll_kit import LiveCloud, enroll, expire_token, kfleet, live_cloud

HHL = "qh/hx/golmud/hhl"


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[LiveCloud]:
    async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=mosquitto_url) as live:
        yield live


async def test_unknown_token_exits_13(cloud: LiveCloud, tmp_path: Path) -> None:
    ran = await enroll(cloud.base_url, "kfe_0123456789abcdef_" + "Q" * 43, tmp_path / "a.toml")
    assert ran.code == TokenUnknown.exit_code, ran
    assert "token_unknown" in ran.err and "new token" in ran.err
    assert not (tmp_path / "a.toml").exists()


async def test_used_token_exits_14_and_the_second_config_is_not_written(
    cloud: LiveCloud, tmp_path: Path, uid: str
) -> None:
    minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
    first = await enroll(cloud.base_url, minted["token"], tmp_path / "one" / "agent.toml")
    assert first.code == 0, first
    again = await enroll(cloud.base_url, minted["token"], tmp_path / "two" / "agent.toml")
    assert again.code == TokenUsed.exit_code, again
    assert "token_used" in again.err and f"k-{uid}" in again.err
    assert not (tmp_path / "two" / "agent.toml").exists()


async def test_expired_token_exits_15(cloud: LiveCloud, tmp_path: Path, uid: str) -> None:
    minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
    await expire_token(cloud.parts, minted["id"])
    ran = await enroll(cloud.base_url, minted["token"], tmp_path / "agent.toml")
    assert ran.code == TokenExpired.exit_code, ran
    assert "token_expired" in ran.err and "ask the operator for a new token" in ran.err


async def test_revoked_token_exits_16(cloud: LiveCloud, tmp_path: Path, uid: str) -> None:
    minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
    async with httpx.AsyncClient(base_url=cloud.base_url) as client:
        r = await client.post(
            f"/api/v1/enrollment-tokens/{minted['id']}/revoke", headers=bearer(cloud.api_token)
        )
        assert r.status_code == 200, r.text
    ran = await enroll(cloud.base_url, minted["token"], tmp_path / "agent.toml")
    assert ran.code == TokenRevoked.exit_code, ran
    assert "token_revoked" in ran.err


async def test_site_gone_exits_17(cloud: LiveCloud, tmp_path: Path, uid: str) -> None:
    minted = await cloud.mint(site="qh/hx/golmud/tgls", role="kiosk", device_id=f"k-{uid}")
    async with cloud.parts.engine.connect() as conn:  # the site is removed after minting
        await conn.execute(text("PRAGMA foreign_keys=OFF"))
        await conn.execute(
            text("UPDATE enrollment_tokens SET site_id = 987654 WHERE id = :id"),
            {"id": minted["id"]},
        )
        await conn.commit()
    ran = await enroll(cloud.base_url, minted["token"], tmp_path / "agent.toml")
    assert ran.code == SiteUnknown.exit_code, ran
    assert "site_gone" in ran.err and "existing site" in ran.err


async def test_device_id_taken_at_another_site_exits_18(
    cloud: LiveCloud, tmp_path: Path, uid: str
) -> None:
    first = await cloud.mint(site=HHL, role="kiosk")
    ran = await enroll(cloud.base_url, first["token"], tmp_path / "1.toml", "--device-id", uid)
    assert ran.code == 0, ran
    other = await cloud.mint(site="qh/hx/golmud/tgls", role="kiosk")
    ran = await enroll(cloud.base_url, other["token"], tmp_path / "2.toml", "--device-id", uid)
    assert ran.code == DeviceConflict.exit_code, ran
    assert "device_conflict" in ran.err and "another --device-id" in ran.err


async def test_the_console_qr_text_enrolls(cloud: LiveCloud, tmp_path: Path, uid: str) -> None:
    minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
    ran = await kfleet(
        "provision", "enroll", "--qr", minted["qr_text"], "--config", tmp_path / "agent.toml",
        "--data-dir", tmp_path / "data",
    )  # fmt: skip
    assert ran.code == 0, ran
    assert f"k-{uid}" in ran.out and HHL in ran.out
