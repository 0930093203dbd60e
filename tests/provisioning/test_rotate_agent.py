"""The running agent takes new credentials from its config file at the next reconnect, with
no restart: the broker changes the device's password and drops the session (as a rotation
does), the file already holds the new password, and the agent is back on the next attempt."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import aiomqtt
import tomli_w

from edge_agent.agent import Agent
from edge_agent.config import load_config
from edge_agent.link.credentials import reread_credentials
from tests.provisioning.broker_kit import PasswordBroker, mosquitto, pki, tls_settings

TIMEOUT = 20.0


def _write(path: Path, port: int, password: str) -> None:
    raw = {
        "device_id": "rot-01",
        "role": "kiosk",
        "site": "qh/hx/golmud/hhl",
        "data_dir": str(path.parent / "data"),
        "health_interval_s": 3600,
        "tele_interval_s": 3600,
        "screen": {"enabled": False},
        "mqtt": {
            "url": f"mqtt://127.0.0.1:{port}",
            "username": "rot-01",
            "password": password,
            "reconnect_min_s": 0.05,
            "reconnect_max_s": 0.2,
        },
    }
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")


async def test_agent_reconnects_with_the_password_now_in_its_file(tmp_path: Path) -> None:
    broker = PasswordBroker(tmp_path)
    broker.set_password("rot-01", "old-secret")
    with broker.running():
        path = tmp_path / "agent.toml"
        _write(path, broker.port, "old-secret")
        agent = Agent(load_config(path), peripherals={}, config_path=path)
        task = asyncio.create_task(agent.run())
        try:
            async with asyncio.timeout(TIMEOUT):
                await agent.link.connected.wait()
                broker.set_password("rot-01", "new-secret")  # the old one is refused from now
                _write(path, broker.port, "new-secret")  # what `provision rotate` writes
                agent.link.link_failed.clear()
                await _take_over(broker.port, "kf-rot-01", "new-secret")  # drop its session
                await agent.link.link_failed.wait()
                await agent.link.connected.wait()
            assert agent.link.sessions == 2
            assert agent.link.config.mqtt.password == "new-secret"
        finally:
            await agent.stop()
            await task


async def _take_over(port: int, client_id: str, password: str) -> None:
    """Connect with the agent's client id: the broker closes the agent's session."""
    async with aiomqtt.Client(
        "127.0.0.1", port, identifier=client_id, username="rot-01", password=password
    ):
        pass


def test_unreadable_file_keeps_the_credentials_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "agent.toml"
    _write(path, 1883, "in-memory")
    current = load_config(path).mqtt
    path.write_text("this is [ not toml", encoding="utf-8")
    assert reread_credentials(path, current) is current
    path.unlink()
    assert reread_credentials(path, current) is current


async def test_agent_trusts_the_private_ca_named_in_its_config(tmp_path: Path) -> None:
    """``mqtt.ca_file`` (written by enroll for an mqtts broker with a private CA): the agent
    connects over TLS, the broker's certificate checked against that CA."""
    ca_crt, server = pki(tmp_path / "pki", ["127.0.0.1"])
    with mosquitto(tls_settings(server)) as port:
        path = tmp_path / "agent.toml"
        _write(path, port, "any")
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        raw["mqtt"] |= {"url": f"mqtts://127.0.0.1:{port}", "ca_file": str(ca_crt)}
        path.write_text(tomli_w.dumps(raw), encoding="utf-8")
        agent = Agent(load_config(path), peripherals={}, config_path=path)
        task = asyncio.create_task(agent.run())
        try:
            async with asyncio.timeout(TIMEOUT):
                await agent.link.connected.wait()
        finally:
            await agent.stop()
            await task
