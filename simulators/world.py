"""A simulated hall world: agents, each with its own simulated ESC/POS printer, in one process.

Used by ``kfleet demo`` (three pilot kiosks) and ``kfleet sim fleet`` (the load generator for
benchmarks: hundreds of agents on one broker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from simulators.escpos_printer import EscPosPrinterSim, Faults

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KioskSpec:
    """One simulated device: its identity and where it stands."""

    device_id: str
    site: str
    name: str
    role: str = "kiosk"


@dataclass
class RunningKiosk:
    spec: KioskSpec
    agent: Agent
    printer: EscPosPrinterSim
    task: asyncio.Task[None]


def agent_config(
    spec: KioskSpec, broker_url: str, data_dir: Path, printer_port: int
) -> AgentConfig:
    """The config a technician would write for this kiosk, pointing at its simulated printer."""
    return AgentConfig.model_validate(
        {
            "device_id": spec.device_id,
            "role": spec.role,
            "site": spec.site,
            "name": spec.name,
            "data_dir": str(data_dir / "agents" / spec.device_id),
            "mqtt": {"url": broker_url},
            "peripherals": [
                {
                    "type": "escpos_network",
                    "id": "receipt",
                    "host": "127.0.0.1",
                    "port": printer_port,
                    "capabilities": ["receipt"],
                }
            ],
        }
    )


@contextlib.asynccontextmanager
async def running_world(
    specs: list[KioskSpec], broker_url: str, data_dir: Path, *, connect_timeout_s: float = 60
) -> AsyncIterator[list[RunningKiosk]]:
    """Start a printer simulator and an agent per spec; stop them all (agents first) on exit."""
    kiosks: list[RunningKiosk] = []
    try:
        for spec in specs:
            printer = EscPosPrinterSim(
                "127.0.0.1", 0, data_dir / "receipts" / spec.device_id, Faults()
            )
            await printer.start()
            agent = Agent(agent_config(spec, broker_url, data_dir, printer.port))
            task = asyncio.create_task(agent.run(), name=f"agent-{spec.device_id}")
            kiosks.append(RunningKiosk(spec, agent, printer, task))
        async with asyncio.timeout(connect_timeout_s):
            await asyncio.gather(*(k.agent.wait_connected() for k in kiosks))
        yield kiosks
    finally:
        await asyncio.gather(*(k.agent.stop() for k in kiosks), return_exceptions=True)
        for k in kiosks:
            k.task.cancel()
        await asyncio.gather(*(k.task for k in kiosks), return_exceptions=True)
        await asyncio.gather(*(k.printer.stop() for k in kiosks), return_exceptions=True)
