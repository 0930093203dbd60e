"""The citizen-facing screen served by a real agent: the page in zh-CN and English, a status
that follows the printer's health and the fleet connection, a busy port the agent survives,
and a host the config refuses."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig, parse_config
from edge_agent.errors import ConfigError
from kfleet.world.net import free_port
from simulators.escpos_printer import EscPosPrinterSim

TIMEOUT = 10.0
NAME = "黄河路街道 1号自助终端"


def screen_config(
    url: str, dev: str, data_dir: Path, printer_port: int, **screen: Any
) -> AgentConfig:
    return parse_config(
        {
            "device_id": dev,
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "name": NAME,
            "data_dir": str(data_dir),
            "health_interval_s": 3600,  # probed by the test, not by the period
            "tele_interval_s": 3600,
            "mqtt": {"url": url, "reconnect_min_s": 0.05, "reconnect_max_s": 0.5},
            "screen": {"site_name": "黄河路街道便民服务中心", **screen},
            "peripherals": [
                {
                    "type": "escpos_network",
                    "id": "receipt",
                    "host": "127.0.0.1",
                    "port": printer_port,
                    "timeout_s": 2,
                    "status_timeout_s": 2.0,  # the simulator answers from this loop: room for load
                }
            ],
        },
        source="test",
    )


@asynccontextmanager
async def running(
    config: AgentConfig, *, connected: bool = True
) -> AsyncIterator[tuple[Agent, asyncio.Task[None]]]:
    """The agent running, its screen settled (served or not), connected to the broker if
    ``connected`` (else it keeps trying)."""
    agent = Agent(config)
    task = asyncio.create_task(agent.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            if connected:
                await agent.wait_connected()
            await agent.screen.settled.wait()
        yield agent, task
    finally:
        await agent.stop()
        await task


@pytest.fixture
async def sim(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as printer:
        yield printer


async def test_page_and_status_follow_the_printer_and_the_link(
    amqtt_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    port = free_port()
    cfg = screen_config(amqtt_url, f"kiosk-{uid}", tmp_path / "d", sim.port, port=port)
    async with (
        running(cfg) as (agent, _),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as http,
    ):
        assert agent.screen.serving
        to_app = await http.get("/", params={"lang": "en"})  # a kiosk: the citizen's app
        assert to_app.status_code == 302 and to_app.headers["location"] == "/kiosk?lang=en"
        page = await http.get("/status")  # the status page stays, off the citizen's way
        assert page.status_code == 200
        assert '<html lang="zh-CN">' in page.text
        assert "自助服务终端" in page.text and NAME in page.text
        assert "黄河路街道便民服务中心" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        english = await http.get("/status", params={"lang": "en"})
        assert '<html lang="en">' in english.text and "Self-service terminal" in english.text
        assert "自助服务终端" not in english.text and NAME in english.text
        for asset, kind in (("screen.js", "javascript"), ("screen.css", "css")):
            r = await http.get(f"/screen/{asset}")
            assert r.status_code == 200 and kind in r.headers["content-type"]
        assert (await http.get("/screen/index.html")).status_code == 404

        status = (await http.get("/api/v1/screen/status")).json()
        assert {k: status[k] for k in ("device_id", "name", "role", "site", "connected")} == {
            "device_id": f"kiosk-{uid}",
            "name": NAME,
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "connected": True,
        }
        assert datetime.fromisoformat(status["time"]).tzinfo is not None
        assert status["peripherals"] == [
            {
                "id": "receipt",
                "kind": "receipt_printer",
                "health": "ok",
                "reason": "",
                "text": "打印机正常",
            }
        ]

        sim.faults.paper_out = True
        await agent._check_health("receipt")  # the probe the health period would run
        status = (await http.get("/api/v1/screen/status")).json()
        (printer,) = status["peripherals"]
        assert (printer["health"], printer["reason"]) == ("offline", "paper_out")
        assert printer["text"] == "打印机缺纸，请联系工作人员"
        english = (await http.get("/api/v1/screen/status", params={"lang": "en"})).json()
        assert english["peripherals"][0]["text"] == (
            "Printer is out of paper, please ask a member of staff"
        )

    # after an orderly stop nothing listens on the port any more
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as http:
            await http.get(f"http://127.0.0.1:{port}/")


async def test_without_the_fleet_the_screen_says_offline(
    uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    nobody = f"mqtt://127.0.0.1:{free_port()}"  # no broker listens there
    port = free_port()
    cfg = screen_config(nobody, f"kiosk-{uid}", tmp_path / "d", sim.port, port=port)
    async with (
        running(cfg, connected=False) as (agent, _),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as http,
    ):
        assert (await http.get("/status")).status_code == 200
        status = (await http.get("/api/v1/screen/status")).json()
        assert status["connected"] is False and not agent.connected.is_set()
        assert status["peripherals"][0]["text"] == "打印机正常"  # probed before connecting


async def test_a_busy_port_leaves_the_agent_running_without_the_screen(
    amqtt_url: str,
    uid: str,
    tmp_path: Path,
    sim: EscPosPrinterSim,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        cfg = screen_config(amqtt_url, f"kiosk-{uid}", tmp_path / "d", sim.port, port=port)
        with caplog.at_level(logging.ERROR, logger="edge_agent.screen"):
            async with running(cfg) as (agent, task):
                assert not agent.screen.serving
                assert agent.counters["screen_bind_failed"] == 1
                assert not task.done() and agent.connected.is_set()
                sim.faults.paper_out = True  # the agent's own work goes on
                await agent._check_health("receipt")
                assert agent.health["receipt"][1] == "paper_out"
    (record,) = [r for r in caplog.records if r.name.startswith("edge_agent.screen")]
    message = record.getMessage()
    assert f"port {port} on 127.0.0.1 is already in use" in message
    assert "set another [screen] port" in message and "keeps running" in message


async def test_a_disabled_screen_serves_nothing(
    amqtt_url: str, uid: str, tmp_path: Path, sim: EscPosPrinterSim
) -> None:
    port = free_port()
    cfg = screen_config(
        amqtt_url, f"kiosk-{uid}", tmp_path / "d", sim.port, port=port, enabled=False
    )
    async with running(cfg) as (agent, _):
        assert not agent.screen.serving and agent.counters["screen_bind_failed"] == 0
        with pytest.raises(httpx.ConnectError):
            async with httpx.AsyncClient() as http:
                await http.get(f"http://127.0.0.1:{port}/")


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "kiosk.local", "::"])
def test_a_host_off_the_loopback_needs_allow_remote(tmp_path: Path, host: str) -> None:
    with pytest.raises(ConfigError) as info:
        screen_config("mqtt://127.0.0.1:1883", "kiosk-01", tmp_path, 9100, host=host)
    assert info.value.key == "screen.host"
    assert "is not a loopback address" in str(info.value)
    assert "screen.allow_remote = true" in str(info.value)
    cfg = screen_config(
        "mqtt://127.0.0.1:1883", "kiosk-01", tmp_path, 9100, host=host, allow_remote=True
    )
    assert cfg.screen.host == host


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost", "LOCALHOST"])
def test_loopback_hosts_are_accepted(tmp_path: Path, host: str) -> None:
    cfg = screen_config("mqtt://127.0.0.1:1883", "kiosk-01", tmp_path, 9100, host=host)
    assert cfg.screen.host == host and cfg.screen.port == 8090 and cfg.screen.lang == "zh-CN"
