"""The kiosk shell's routes on their own (no broker, no cloud): a stand-in for the agent's
view with real drivers, and an ``httpx`` client on the ASGI app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from edge_agent.config import AgentConfig, parse_config
from edge_agent.drivers.idcard_reader import IdCardReader, IdCardReaderConfig
from edge_agent.drivers.interface import Peripheral
from edge_agent.kiosk import KioskParts
from edge_agent.kiosk.routes import kiosk_routes


@dataclass
class View:
    """What :class:`KioskParts` reads of an agent."""

    config: AgentConfig
    peripherals: Mapping[str, Peripheral] = field(default_factory=dict)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


def kiosk_config(data_dir: Path) -> AgentConfig:
    raw: dict[str, Any] = {
        "device_id": "kiosk-t1",
        "role": "kiosk",
        "site": "qh/hx/golmud/hhl",
        "data_dir": str(data_dir),
        "mqtt": {"url": "mqtt://127.0.0.1:1"},
        "screen": {"site_name": "黄河路街道便民服务中心"},
    }
    return parse_config(raw, source="test")


def reader_on(port: str) -> IdCardReader:
    cfg = IdCardReaderConfig(
        type="idcard_ga467", id="idcard", port=port, timeout_s=0.5, poll_interval_s=0.05
    )
    return IdCardReader(cfg)


@contextlib.asynccontextmanager
async def kiosk_client(
    data_dir: Path, peripherals: Mapping[str, Peripheral] | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, KioskParts]]:
    view = View(kiosk_config(data_dir), dict(peripherals or {}))
    parts = KioskParts.of(view)
    app = Starlette(routes=kiosk_routes(parts))
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://kiosk") as client:
            yield client, parts
    finally:
        await parts.cloud.close()
        for p in (peripherals or {}).values():
            await p.close()
