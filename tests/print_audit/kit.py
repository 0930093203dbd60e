"""A cloud with two kiosks (a fake device at HHL and one at TGLS, each with a receipt printer
and an A4 printer with a document camera) that print what the tests ask and ack it succeeded,
as an agent would; the print audit is read through its REST API."""

from __future__ import annotations

import hashlib
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from reportlab.pdfgen.canvas import Canvas

from cloud.print_audit import PrintAudit
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import PersonRole
from protocols.jobs import AckState
from protocols.messages import Health, PeripheralInfo
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice

A4 = PeripheralInfo(
    id="a4", kind="a4_printer", model="sim", capabilities=["a4_print", "copy"], health=Health.OK
)
TICKET = {"lines": [{"type": "text", "text": "取号 A001"}]}


def pdf_of(pages: int) -> bytes:
    out = io.BytesIO()
    canvas = Canvas(out)
    for n in range(pages):
        canvas.drawString(100, 700, f"page {n + 1}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


@dataclass
class AuditEnv:
    cloud: AccessCloud
    admin: httpx.AsyncClient
    hhl: FakeDevice
    tgls: FakeDevice

    @property
    def parts(self) -> Parts:
        return self.cloud.parts

    @property
    def audit(self) -> PrintAudit:
        audit = self.parts.kiosk.print_audit
        assert audit is not None
        return audit

    async def blob(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        await self.parts.blobs.put(sha, _once(data))
        return sha

    async def printed(
        self,
        device: FakeDevice,
        kind: str,
        params: dict[str, Any],
        purpose: str | None,
        result: dict[str, Any] | None = None,
    ) -> str:
        """A job made through the API, run by ``device`` and acked succeeded."""
        body: dict[str, Any] = {
            "kind": kind,
            "target": {"device_id": device.device_id},
            "params": params,
        }
        if purpose is not None:
            body["purpose"] = purpose
        r = await self.admin.post("/api/v1/jobs", json=body)
        assert r.status_code == 201, r.text
        job_id = str(r.json()["id"])
        await device.next_command()
        async with self.parts.hub.subscribe(f"job:{job_id}") as sub:
            await device.ack(job_id, AckState.SUCCEEDED, result=result or {})
            assert await sub.wait_for(lambda v: v == "succeeded", 5) == "succeeded"
        return job_id


async def _register(parts: Parts, device: FakeDevice) -> None:
    async with parts.hub.subscribe(f"device:{device.device_id}") as sub:
        await device.birth()
        assert await sub.wait_for(lambda v: v == "online", 5) == "online"


@asynccontextmanager
async def audit_env(
    tmp_path: Path, amqtt_url: str, uid: str, **extra: Any
) -> AsyncIterator[AuditEnv]:
    fields: dict[str, Any] = {
        "data_dir": tmp_path,
        "mqtt_url": amqtt_url,
        "demo": True,
        "dispatch_interval_s": 0.05,
        "print_audit_every_s": 300.0,  # the tests record when they choose
    }
    settings = Settings(**{**fields, **extra})
    async with access_cloud(settings) as cloud:
        admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
        peripherals = [RECEIPT_PRINTER, A4]
        async with (
            FakeDevice(amqtt_url, f"pa-hhl-{uid}", HHL, peripherals=peripherals) as hhl,
            FakeDevice(amqtt_url, f"pa-tgls-{uid}", TGLS, peripherals=peripherals) as tgls,
        ):
            for device in (hhl, tgls):
                await _register(cloud.parts, device)
            yield AuditEnv(cloud, admin, hhl, tgls)


__all__ = ["HHL", "TGLS", "TICKET", "AuditEnv", "audit_env", "pdf_of"]
