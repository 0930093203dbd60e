"""A cloud in-process whose pilot site HHL takes tickets from the city queue simulator, with
the hall configured (a queue, two services) and kiosks with and without a receipt printer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import select

from cloud.db import devices as device_repo
from cloud.db import sites as site_repo
from cloud.db.hall import HallQueue, HallService
from cloud.db.models import Device, Job
from cloud.settings import Settings
from fleet.peripherals import PeripheralState
from simulators.city_queue import CityQueueSim
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud, device_with_secret

PHONE_URL = "https://hall.example.cn"
SECRET = "kiosk-ticket-test-secret-0123456789"


@dataclass
class KioskEnv:
    cloud: AccessCloud
    sim: CityQueueSim
    #: the HHL kiosk (with a receipt printer)
    kiosk: httpx.AsyncClient

    async def take(self, service: str = "household", **extra: Any) -> httpx.Response:
        return await self.kiosk.post("/api/v1/kiosk/tickets", json={"service": service, **extra})

    async def job(self, job_id: str) -> Job:
        async with self.cloud.parts.sessions() as s:
            job = await s.get(Job, job_id)
        assert job is not None
        return job

    async def jobs(self) -> list[Job]:
        async with self.cloud.parts.sessions() as s:
            return list((await s.scalars(select(Job))).all())


async def configure_services(cloud: AccessCloud, site: str) -> None:
    async with cloud.parts.sessions() as s:
        site_id = (await site_repo.require(s, site)).id
        queue = HallQueue(
            site_id=site_id, code="HJ", name_zh="户籍", name_en="Household", prefix="A"
        )
        s.add(queue)
        await s.flush()
        s.add(HallService(site_id=site_id, code="household", name_zh="户籍业务", queue_id=queue.id))
        s.add(HallService(site_id=site_id, code="pension", name_zh="社保业务", queue_id=queue.id))
        await s.commit()


async def kiosk_device(
    cloud: AccessCloud, device_id: str, site: str, printer: bool
) -> httpx.AsyncClient:
    headers = await device_with_secret(cloud.parts, device_id, site)
    if printer:
        async with cloud.parts.sessions() as s:
            device = await s.get(Device, device_id)
            assert device is not None
            state = PeripheralState("printer", "receipt_printer", capabilities=("receipt",))
            device_repo.set_peripherals(device, [state])
            await s.commit()
    return await cloud.client(headers)


@asynccontextmanager
async def kiosk_env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[KioskEnv]:
    async with CityQueueSim() as sim:
        settings = Settings(
            data_dir=tmp_path,
            mqtt_url=amqtt_url,
            demo=True,
            secret_key=SecretStr(SECRET),
            dispatch_interval_s=0.1,
            hall_city_queue=json.dumps({HHL: sim.url}),
            hall_city_queue_keys=SecretStr(json.dumps({HHL: sim.api_key})),
            hall_city_queue_business=json.dumps({"household": "HJ", "pension": "SB"}),
            hall_city_queue_timeout_s=10.0,  # answered in ms; a loaded loop may stall 1 s
            hall_phone_url=PHONE_URL,
        )
        async with access_cloud(settings) as cloud:
            await configure_services(cloud, HHL)
            kiosk = await kiosk_device(cloud, "kiosk-hhl-1", HHL, printer=True)
            yield KioskEnv(cloud, sim, kiosk)


__all__ = ["HHL", "TGLS", "KioskEnv", "configure_services", "kiosk_device", "kiosk_env"]
