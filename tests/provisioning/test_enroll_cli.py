"""``kfleet provision enroll`` against a real cloud and Mosquitto: the config it writes (0600,
merged into what the technician prepared, old one kept as .bak, no secret printed), a wrong
clock caught before the token is spent, and the failures after the cloud enrolled the device
(broker unreachable, refused, TLS name mismatch) saying what state things are in."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path

from edge_agent.config import load_config
from kfleet.world.net import free_port
from provisioning.enroll_errors import (
    BrokerRefused,
    BrokerUnreachable,
    ClockWrong,
    TlsNameMismatch,
)
from tests.provisioning.broker_kit import mosquitto, pki, tls_settings
from tests.provisioning.enroll_kit import enroll, live_cloud

HHL = "qh/hx/golmud/hhl"
PREPARED = """\
# the technician's peripherals, from `kfleet provision probe`
[[peripherals]]
type = "escpos_network"
id = "receipt"
host = "127.0.0.1"
port = 9100
"""


async def test_config_written_0600_merged_with_backup_and_no_secret_shown(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    config = tmp_path / "etc" / "agent.toml"
    config.parent.mkdir()
    config.write_text(PREPARED, encoding="utf-8")
    async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=mosquitto_url) as cloud:
        minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}", name="一号机")
        ran = await enroll(cloud.base_url, minted["token"], config)
    assert ran.code == 0, ran
    raw = tomllib.loads(config.read_text(encoding="utf-8"))
    secret = raw["mqtt"]["password"]
    assert len(secret) >= 20 and secret not in ran.out + ran.err
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    backup = config.with_name("agent.toml.bak")
    assert backup.read_text(encoding="utf-8") == PREPARED
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    agent = load_config(config)  # what the agent will read
    assert (agent.device_id, agent.site, agent.role.value) == (f"k-{uid}", HHL, "kiosk")
    assert agent.name == "一号机" and agent.mqtt.username == f"k-{uid}"
    assert [p.id for p in agent.peripherals] == ["receipt"]  # the prepared part is kept
    assert agent.cloud is not None and agent.cloud.url == cloud.base_url
    for word in (f"k-{uid}", HHL, "kiosk", str(config), "connected"):
        assert word in ran.out, word
    steps = [line for line in ran.out.splitlines() if line.startswith("… ")]
    assert len(steps) >= 6, ran.out


async def test_wrong_clock_exits_19_before_the_token_is_spent(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=mosquitto_url) as cloud:
        minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
        skewed = {"KFLEET_TEST_CLOCK_OFFSET_S": str(-3 * 3600)}  # 3 h behind
        ran = await enroll(cloud.base_url, minted["token"], tmp_path / "a.toml", env=skewed)
        assert ran.code == ClockWrong.exit_code, ran
        assert "(3 h 0 min behind;" in ran.err and "timedatectl" in ran.err
        assert ran.err.count(" UTC") >= 2  # both times
        assert not (tmp_path / "a.toml").exists()
        again = await enroll(cloud.base_url, minted["token"], tmp_path / "a.toml")
        assert again.code == 0, again  # the token was not spent


async def test_broker_unreachable_exits_24_saying_the_config_is_written(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    nowhere = f"mqtt://127.0.0.1:{free_port()}"
    async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=nowhere) as cloud:
        minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
        ran = await enroll(cloud.base_url, minted["token"], tmp_path / "a.toml")
    assert ran.code == BrokerUnreachable.exit_code, ran
    assert "cannot reach the broker" in ran.err and nowhere in ran.err
    assert "enrolled device" in ran.err and "config is written" in ran.err
    assert "no new token is needed" in ran.err
    assert load_config(tmp_path / "a.toml").mqtt.url == nowhere


async def test_broker_refusing_the_login_exits_25(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    with mosquitto("allow_anonymous false\n") as port:
        closed = f"mqtt://127.0.0.1:{port}"
        async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=closed) as cloud:
            minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
            ran = await enroll(cloud.base_url, minted["token"], tmp_path / "a.toml")
    assert ran.code == BrokerRefused.exit_code, ran
    assert "not authorized" in ran.err and "enrolled device" in ran.err


async def test_broker_tls_name_mismatch_exits_20(
    tmp_path: Path, mosquitto_url: str, uid: str
) -> None:
    ca_crt, server = pki(tmp_path / "pki", ["broker.elsewhere.local"])
    with mosquitto(tls_settings(server)) as port:
        tls_url = f"mqtts://127.0.0.1:{port}"
        async with live_cloud(tmp_path, mosquitto_url, device_mqtt_url=tls_url) as cloud:
            minted = await cloud.mint(site=HHL, role="kiosk", device_id=f"k-{uid}")
            ran = await enroll(
                cloud.base_url, minted["token"], tmp_path / "a.toml", "--ca-file", ca_crt
            )
    assert ran.code == TlsNameMismatch.exit_code, ran
    assert "'127.0.0.1'" in ran.err and "broker.elsewhere.local" in ran.err
    assert load_config(tmp_path / "a.toml").mqtt.ca_file == ca_crt.resolve()
