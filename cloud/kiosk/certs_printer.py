"""Whether the calling kiosk can print A4 now (a certificate is printed where the citizen
stands, or not at all): the same check the guide's print makes (``NoA4Printer``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import devices as device_repo
from cloud.db.models import Device, Site
from cloud.kiosk.errors import KioskError
from fleet.routing import device_target_refusal
from protocols.jobs import CAPABILITY_FOR_KIND, JobKind


class NoA4ForCertificate(KioskError):
    status_code = 409
    code = "no_a4_printer"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"this kiosk cannot print certificates: {why}",
            "本机暂不能打印证明，请到其他自助终端或窗口办理。",
            "This kiosk cannot print certificates now. Please use another kiosk or a window.",
        )


async def a4_site_name(
    sessions: async_sessionmaker[AsyncSession], device_id: str, site: str
) -> str:
    """The site's name, once the kiosk is known to have an A4 printer."""
    async with sessions() as s:
        device = await s.get(Device, device_id)
        name = await s.scalar(select(Site.name).where(Site.path == site))
    if device is None:
        raise NoA4ForCertificate(f"device {device_id} is not registered")
    kind = JobKind.PRINT_DOCUMENT
    why = device_target_refusal(
        device_id, device_repo.peripherals(device), CAPABILITY_FOR_KIND[kind], kind.value
    )
    if why:
        raise NoA4ForCertificate(why)
    return name or site
