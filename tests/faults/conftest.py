"""Fixtures of the fault suite: each test owns its Mosquitto (it may be killed), a printer
simulator, and (in-process) a cloud with short timers and a persistent MQTT session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from simulators.escpos_printer import EscPosPrinterSim
from tests.cloudkit import running_cloud
from tests.faults.procs import Mosquitto

CloudEnv = tuple[Parts, httpx.AsyncClient]


def cloud_settings(data_dir: Path, broker_url: str, uid: str) -> Settings:
    """A cloud that re-drives quickly, with the fixed client id production uses: a persistent
    session keeps what devices send while the cloud (or the broker) is away."""
    return Settings(
        data_dir=data_dir,
        mqtt_url=broker_url,
        mqtt_client_id=f"kfleet-cloud-{uid}",
        secret_key="fault-tests-secret-0123456789abcdef",
        ack_timeout_s=2.0,
        dispatch_interval_s=0.2,
        retry_backoff_s=0.2,
        retry_backoff_cap_s=1.0,
        reconnect_max_s=0.5,
    )


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    with Mosquitto(tmp_path / "mosquitto") as b:
        await b.start()
        yield b


@pytest.fixture
async def printer(tmp_path: Path) -> AsyncIterator[EscPosPrinterSim]:
    async with EscPosPrinterSim(out_dir=tmp_path / "receipts") as sim:
        yield sim


@pytest.fixture
async def cloud_env(tmp_path: Path, broker: Mosquitto, uid: str) -> AsyncIterator[CloudEnv]:
    settings = cloud_settings(tmp_path / "cloud", broker.url, uid)
    settings.data_dir.mkdir()
    async with running_cloud(settings) as env:
        yield env
