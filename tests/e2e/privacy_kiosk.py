"""A connected kiosk agent for the privacy tests: a receipt printer simulator and the given
ID-card reader simulator, which reports each card placed by itself (``auto_read``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from edge_agent.agent import Agent
from edge_agent.config import IdCardReaderConfig
from kfleet.world.world import KioskSpec, agent_config
from simulators.escpos_printer import EscPosPrinterSim
from simulators.idcard_reader import IdCardReaderSim

TIMEOUT = 30.0
SITE = "qh/hx/golmud/hhl"


@contextlib.asynccontextmanager
async def kiosk(
    url: str, dev: str, tmp_path: Path, reader: IdCardReaderSim
) -> AsyncIterator[Agent]:
    """A connected kiosk agent whose reader reports each card placed by itself."""
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as printer:
        config = agent_config(
            KioskSpec(dev, SITE, "黄河路 2号自助终端"), url, tmp_path, printer.port
        )
        idcard = IdCardReaderConfig(
            type="idcard_ga467",
            id="idcard",
            port=reader.port_path,
            auto_read=True,
            auto_read_interval_s=0.05,
        )
        agent = Agent(config.model_copy(update={"peripherals": [*config.peripherals, idcard]}))
        task = asyncio.create_task(agent.run())
        try:
            async with asyncio.timeout(TIMEOUT):
                await agent.wait_connected()
            yield agent
        finally:
            await agent.stop()
            await task
