"""A cloud in-process for the appointment tests: HHL queues through the city queue simulator,
TGLS through the built-in queue; both halls offer 户籍业务 (household) and 社保业务 (pension);
a kiosk with a receipt printer at each; citizens' texts go to the SMS gateway simulator."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from cloud.db import sites as site_repo
from cloud.db.models import utcnow
from cloud.kiosk.appointments_build import AppointmentServices
from cloud.kiosk.appointments_tables import AppointmentSlot
from cloud.settings import Settings
from fleet.queue import hall_day
from protocols.idcard.text import id_check_digit
from simulators.city_queue import CityQueueSim
from simulators.sms_gateway import SmsGateway
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud
from tests.hall.kiosk_kit import PHONE_URL, SECRET, configure_services, kiosk_device

SMS_KEY = "appt-test-sms-key"
PHONE = "13800138000"


def id_number(body17: str = "63280119900101123") -> str:
    """A valid ID number (GB 11643 check digit) from its first 17 digits."""
    return body17 + id_check_digit(body17)


PERSON = id_number()
OTHER = id_number("63280119851231456")


@dataclass
class ApptEnv:
    cloud: AccessCloud
    city: CityQueueSim
    sms: SmsGateway
    #: a kiosk at HHL (city queue) and one at TGLS (built-in queue), both with receipt printers
    hhl: httpx.AsyncClient
    tgls: httpx.AsyncClient

    @property
    def services(self) -> AppointmentServices:
        services = self.cloud.parts.kiosk.appointments
        assert services is not None
        return services

    def set_now(self, at: datetime) -> None:
        """Move the appointments' clock (booking, cancel, check-in, the sweep)."""
        self.services.booking.now = lambda: at
        self.services.check_in.now = lambda: at
        self.services.calendar.now = lambda: at

    async def slot(
        self,
        site: str = TGLS,
        service: str = "household",
        start: datetime | None = None,
        minutes: int = 30,
        capacity: int = 2,
    ) -> int:
        """A slot inserted as the console would create it; its id."""
        start = start or utcnow() + timedelta(minutes=10)
        async with self.cloud.parts.sessions() as s:
            site_id = (await site_repo.require(s, site)).id
            row = AppointmentSlot(
                site_id=site_id,
                service_code=service,
                day=hall_day(start).isoformat(),
                starts_at=start,
                ends_at=start + timedelta(minutes=minutes),
                capacity=capacity,
                booked=0,
            )
            s.add(row)
            await s.commit()
            return row.id

    async def book(
        self,
        slot_id: int,
        kiosk: httpx.AsyncClient | None = None,
        service: str = "household",
        person: str = PERSON,
        **extra: Any,
    ) -> httpx.Response:
        body = {
            "service": service,
            "slot_id": slot_id,
            "id_number": person,
            "name": "张三",
            "phone": PHONE,
            **extra,
        }
        return await (kiosk or self.tgls).post("/api/v1/kiosk/appointments", json=body)

    async def act(
        self, ref: str, what: str, kiosk: httpx.AsyncClient | None = None, person: str = PERSON
    ) -> httpx.Response:
        """``cancel`` or ``check-in``."""
        url = f"/api/v1/kiosk/appointments/{ref}/{what}"
        return await (kiosk or self.tgls).post(url, json={"id_number": person})


def settings_for(tmp_path: Path, mqtt_url: str, city: CityQueueSim, sms: SmsGateway) -> Settings:
    return Settings(
        data_dir=tmp_path,
        mqtt_url=mqtt_url,
        demo=True,
        secret_key=SecretStr(SECRET),
        dispatch_interval_s=0.1,
        hall_city_queue=json.dumps({HHL: city.url}),
        hall_city_queue_keys=SecretStr(json.dumps({HHL: city.api_key})),
        hall_city_queue_business=json.dumps({"household": "HJ", "pension": "SB"}),
        hall_city_queue_timeout_s=10.0,  # answered in ms; a loaded loop may stall 1 s
        hall_phone_url=PHONE_URL,
        citizen_sms_url=sms.url,
        citizen_sms_key=SecretStr(SMS_KEY),
        appointments_sweep_s=3600,
    )


@asynccontextmanager
async def appt_env(
    tmp_path: Path, mqtt_url: str, database_url: str | None = None
) -> AsyncIterator[ApptEnv]:
    async with CityQueueSim() as city, SmsGateway(api_key=SMS_KEY, per_number_interval_s=0) as sms:
        settings = settings_for(tmp_path, mqtt_url, city, sms)
        if database_url:
            settings.database_url = database_url
        async with access_cloud(settings) as cloud:
            for site in (HHL, TGLS):
                await configure_services(cloud, site)
            hhl = await kiosk_device(cloud, "kiosk-hhl-1", HHL, printer=True)
            tgls = await kiosk_device(cloud, "kiosk-tgls-1", TGLS, printer=True)
            yield ApptEnv(cloud, city, sms, hhl, tgls)


__all__ = ["HHL", "OTHER", "PERSON", "PHONE", "TGLS", "ApptEnv", "appt_env", "id_number"]
