"""``kfleet provision status`` and ``rotate`` on an enrolled device against a real cloud, and
each way they fail: not enrolled (no file, a file without credentials), revoked, the cloud
unreachable, a config rotate could not write (checked before the cloud rotates anything)."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import tomli_w

from kfleet.world.net import free_port
from provisioning.enroll_errors import (
    CloudUnreachable,
    ConfigNotWritable,
    DeviceRevoked,
    NotEnrolled,
)
from tests.identity_kit import bearer
from tests.provisioning.enroll_kit import LiveCloud, enroll, kfleet, live_cloud
from tests.provisioning.readonly_kit import make_read_only, tmpfs_dir

HHL = "qh/hx/golmud/hhl"


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[LiveCloud]:
    async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=mosquitto_url) as live:
        yield live


async def _enrolled(cloud: LiveCloud, config: Path, device: str) -> None:
    minted = await cloud.mint(site=HHL, role="window", device_id=device, name="窗口 3")
    ran = await enroll(cloud.base_url, minted["token"], config)
    assert ran.code == 0, ran


async def test_status_of_an_enrolled_device(cloud: LiveCloud, tmp_path: Path, uid: str) -> None:
    config = tmp_path / "agent.toml"
    await _enrolled(cloud, config, f"w-{uid}")
    ran = await kfleet("provision", "status", "--config", config)
    assert ran.code == 0, ran
    for line in (f"device      w-{uid}  (窗口 3)", f"site        {HHL}", "role        window",
                 "online      no", "revoked     no", "credential  0 d 0 h old"):  # fmt: skip
        assert line in ran.out, ran.out
    assert "clock       +" in ran.out or "clock       -" in ran.out


async def test_status_without_a_config_or_credentials_is_not_enrolled(tmp_path: Path) -> None:
    ran = await kfleet("provision", "status", "--config", tmp_path / "none.toml")
    assert ran.code == NotEnrolled.exit_code, ran
    assert "does not exist" in ran.err and "kfleet provision enroll" in ran.err
    bare = tmp_path / "bare.toml"
    raw = {"device_id": "k1", "role": "kiosk", "site": HHL, "data_dir": "d",
           "mqtt": {"url": "mqtt://127.0.0.1:1883"}}  # fmt: skip
    bare.write_text(tomli_w.dumps(raw), encoding="utf-8")
    ran = await kfleet("provision", "status", "--config", bare)
    assert ran.code == NotEnrolled.exit_code, ran
    assert "no device credentials" in ran.err


async def test_status_of_a_revoked_device(cloud: LiveCloud, tmp_path: Path, uid: str) -> None:
    config = tmp_path / "agent.toml"
    await _enrolled(cloud, config, f"w-{uid}")
    async with httpx.AsyncClient(base_url=cloud.base_url) as client:
        r = await client.post(
            f"/api/v1/devices/w-{uid}/revoke",
            json={"reason": "stolen"},
            headers=bearer(cloud.api_token),
        )
        assert r.status_code == 200, r.text
    ran = await kfleet("provision", "status", "--config", config)
    # the device proves its (revoked) secret: the cloud says it was revoked, and why
    assert ran.code == DeviceRevoked.exit_code, ran
    assert f"w-{uid}" in ran.err and "stolen" in ran.err and "enroll" in ran.err


async def test_status_with_the_cloud_unreachable(tmp_path: Path, uid: str) -> None:
    config = tmp_path / "agent.toml"
    raw = {"device_id": "k1", "role": "kiosk", "site": HHL, "data_dir": "d",
           "mqtt": {"url": "mqtt://127.0.0.1:1883", "username": "k1", "password": "p" * 20},
           "cloud": {"url": f"http://127.0.0.1:{free_port()}"}}  # fmt: skip
    config.write_text(tomli_w.dumps(raw), encoding="utf-8")
    ran = await kfleet("provision", "status", "--config", config)
    assert ran.code == CloudUnreachable.exit_code, ran


async def test_rotate_checks_the_config_is_writable_before_rotating(
    cloud: LiveCloud, tmp_path: Path, uid: str
) -> None:
    with tmpfs_dir() as etc:
        config = etc / "agent.toml"
        await _enrolled(cloud, config, f"w-{uid}")
        before = config.read_text(encoding="utf-8")
        make_read_only(etc)
        ran = await kfleet("provision", "rotate", "--config", config)
        assert ran.code == ConfigNotWritable.exit_code, ran
        assert "Read-only file system" in ran.err and "NOTE" not in ran.err
        assert await _credentials(cloud, f"w-{uid}") == 1  # the cloud rotated nothing
        assert config.read_text(encoding="utf-8") == before
        status = await kfleet("provision", "status", "--config", config)
        assert status.code == 0, status  # the old credentials still work: nothing was rotated


async def test_rotate_writes_a_new_password_that_works(
    cloud: LiveCloud, tmp_path: Path, uid: str
) -> None:
    config = tmp_path / "agent.toml"
    await _enrolled(cloud, config, f"w-{uid}")
    old = tomllib.loads(config.read_text(encoding="utf-8"))["mqtt"]["password"]
    ran = await kfleet("provision", "rotate", "--config", config)
    assert ran.code == 0, ran
    new = tomllib.loads(config.read_text(encoding="utf-8"))["mqtt"]["password"]
    assert new != old and new not in ran.out + ran.err
    assert (config.stat().st_mode & 0o777) == 0o600
    assert "rotated" in ran.out and "works on the broker" in ran.out
    status = await kfleet("provision", "status", "--config", config)
    assert status.code == 0, status


async def _credentials(cloud: LiveCloud, device_id: str) -> int:
    """How many credentials the cloud has issued to the device."""
    from sqlalchemy import func, select

    from cloud.db.identity import DeviceCredential

    async with cloud.parts.sessions() as s:
        count = await s.scalar(select(func.count()).where(DeviceCredential.device_id == device_id))
    return int(count or 0)
