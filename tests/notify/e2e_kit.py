"""The world of the alert-to-webhook end-to-end test: a cloud on real Mosquitto with the
webhook channel configured, a real edge agent whose receipt printer is the ESC/POS simulator,
and the API calls the test makes (a rule on the kiosk, alerts, silences, telemetry)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from cloud.settings import Settings
from cloud.wiring import Parts
from edge_agent.agent import Agent
from edge_agent.config import parse_config
from simulators.escpos_printer import EscPosPrinterSim
from tests.cloudkit import running_cloud
from tests.notify.kit import channels_json, webhook
from tests.notify.receiver import WebhookReceiver

#: the agent's telemetry period (its heartbeat): the alert must open within one of these
TELE_PERIOD_S = 5.0
#: how often the agent probes its printer, and the alert evaluator's round
PROBE_S = 1.0
SITE = "qh/hx/golmud/hhl"


@dataclass
class World:
    cloud: Parts
    http: httpx.AsyncClient
    agent: Agent
    printer: EscPosPrinterSim
    receiver: WebhookReceiver
    device: str

    async def get(self, path: str, **params: Any) -> Any:
        r = await self.http.get(path, params=params)
        assert r.status_code == 200, r.text
        return r.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        r = await self.http.post(path, json=body)
        assert r.status_code in (200, 201), r.text
        return r.json()

    async def paper_code(self) -> float | None:
        """The newest ``peripheral.paper`` of the kiosk's printer, as the telemetry API has it."""
        got = await self.get(
            "/api/v1/telemetry/latest", device=self.device, name="peripheral.paper"
        )
        values = [v["value"] for v in got["values"]]
        return values[0] if values else None

    async def until(self, check: Any) -> Any:
        """Poll ``check()`` (an API read) until it is truthy; callers bound the wait."""
        while True:
            if got := await check():
                return got
            await asyncio.sleep(0.1)  # polling an API, not a timing assumption

    async def alerts(self, rule_id: int, state: str = "all") -> list[dict[str, Any]]:
        page = await self.get("/api/v1/alerts", rule_id=rule_id, state=state, device=self.device)
        items: list[dict[str, Any]] = page["items"]
        return items


def _agent(url: str, device: str, data_dir: Path, printer_port: int) -> Agent:
    return Agent(
        parse_config(
            {
                "device_id": device,
                "role": "kiosk",
                "site": SITE,
                "name": "唐古拉山镇 1号自助终端",
                "data_dir": str(data_dir),
                "health_interval_s": PROBE_S,
                "tele_interval_s": TELE_PERIOD_S,
                "mqtt": {"url": url, "reconnect_min_s": 0.05, "reconnect_max_s": 0.5},
                "peripherals": [
                    {
                        "type": "escpos_network",
                        "id": "receipt",
                        "host": "127.0.0.1",
                        "port": printer_port,
                        "timeout_s": 2,
                        "status_timeout_s": 0.3,
                    }
                ],
            },
            source="e2e",
        )
    )


@asynccontextmanager
async def world(mosquitto_url: str, tmp_path: Path, uid: str) -> AsyncIterator[World]:
    receiver = await WebhookReceiver().start()
    settings = Settings(
        data_dir=tmp_path / "cloud",
        mqtt_url=mosquitto_url,
        mqtt_session="clean",
        demo=True,
        alert_eval_interval_s=PROBE_S,
        notify_poll_s=0.2,
        notify_backoff_s=0.2,
        notify_channels=channels_json(webhook(receiver.url, receiver.secret, name="oncall-hook")),
    )
    device = f"e2e-kiosk-{uid}"
    try:
        async with (
            EscPosPrinterSim(out_dir=tmp_path / "receipts") as printer,
            running_cloud(settings) as (cloud, http),
        ):
            agent = _agent(mosquitto_url, device, tmp_path / "agent", printer.port)
            task = asyncio.create_task(agent.run())
            try:
                async with asyncio.timeout(20):
                    await agent.wait_connected()
                yield World(cloud, http, agent, printer, receiver, device)
            finally:
                await agent.stop()
                await task
    finally:
        await receiver.stop()
