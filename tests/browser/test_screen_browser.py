"""The agent's citizen screen in a real browser (Chromium, as in kiosk mode): the page's script
renders the device and its printer's state, follows a paper-out without a reload, in zh-CN
and in English, and the console stays free of errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Error, Page, expect

from edge_agent.agent import Agent
from edge_agent.config import parse_config
from kfleet.world.net import free_port
from simulators.escpos_printer import EscPosPrinterSim

NAME = "黄河路街道 3号自助终端"


@dataclass
class Kiosk:
    agent: Agent
    printer: EscPosPrinterSim
    url: str


@asynccontextmanager
async def running_kiosk(
    broker_url: str, uid: str, tmp_path: Path, *, connect: bool = True
) -> AsyncIterator[Kiosk]:
    """An agent with a simulated receipt printer (connected to the broker if ``connect``)."""
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as sim:
        port = free_port()
        config = parse_config(
            {
                "device_id": f"scr-kiosk-{uid}",
                "role": "kiosk",
                "site": "qh/hx/golmud/hhl",
                "name": NAME,
                "data_dir": str(tmp_path / "agent"),
                "health_interval_s": 3600,
                "tele_interval_s": 3600,
                "mqtt": {"url": broker_url, "reconnect_min_s": 0.05},
                "screen": {"port": port},
                "peripherals": [
                    {"type": "escpos_network", "id": "receipt", "host": "127.0.0.1",
                     "port": sim.port, "status_timeout_s": 0.3},
                ],
            },
            source="test",
        )  # fmt: skip
        agent = Agent(config)
        task = asyncio.create_task(agent.run())
        try:
            async with asyncio.timeout(15):
                if connect:
                    await agent.wait_connected()
                await agent.screen.settled.wait()
            assert agent.screen.serving
            yield Kiosk(agent, sim, f"http://127.0.0.1:{port}/status")
        finally:
            await agent.stop()
            await task


@pytest.fixture
async def kiosk(amqtt_url: str, uid: str, tmp_path: Path) -> AsyncIterator[Kiosk]:
    async with running_kiosk(amqtt_url, uid, tmp_path) as k:
        yield k


def watch_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of ``page``, as they happen."""
    errors: list[str] = []

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            errors.append(f"console: {msg.text}")

    def on_error(err: Error) -> None:
        errors.append(f"page error: {err}")

    page.on("console", on_console)
    page.on("pageerror", on_error)
    return errors


async def test_screen_shows_device_and_printer_state_in_both_languages(
    browser: Browser, kiosk: Kiosk
) -> None:
    url = kiosk.url
    page = await browser.new_page()
    errors = watch_errors(page)

    await page.goto(url)
    await expect(page.locator("h1")).to_have_text("自助服务终端")
    await expect(page.locator("#device-name")).to_have_text(NAME)
    printer = page.locator('[data-peripheral="receipt"]')
    await expect(printer).to_have_text("打印机正常")  # put there by the script
    await expect(page.locator("#link")).to_have_text("在线")
    await expect(page.locator("#clock")).not_to_be_empty()

    kiosk.printer.faults.paper_out = True
    await kiosk.agent._check_health("receipt")
    # no reload: the next poll (every 2 s) shows it
    await expect(printer).to_have_text("打印机缺纸，请联系工作人员")

    await page.goto(f"{url}?lang=en")
    await expect(page.locator("h1")).to_have_text("Self-service terminal")
    await expect(page.locator("#device-name")).to_have_text(NAME)
    await expect(printer).to_have_text("Printer is out of paper, please ask a member of staff")
    await expect(page.locator("#link")).to_have_text("Online")
    assert errors == []
    await page.close()


async def test_screen_without_the_fleet_says_offline_and_still_shows_the_printer(
    browser: Browser, uid: str, tmp_path: Path
) -> None:
    nobody = f"mqtt://127.0.0.1:{free_port()}"  # no broker listens there
    async with running_kiosk(nobody, uid, tmp_path, connect=False) as kiosk:
        assert not kiosk.agent.connected.is_set()
        page = await browser.new_page()
        errors = watch_errors(page)
        await page.goto(kiosk.url)
        await expect(page.locator("#link")).to_have_text("离线")
        await expect(page.locator('[data-peripheral="receipt"]')).to_have_text("打印机正常")
        await expect(page.locator("#notice")).to_be_hidden()
        assert errors == []
        await page.close()
