"""Whether the calling kiosk can print A4 now (a certificate is printed where the citizen
stands, or not at all): the same check the guide's print makes (``NoA4Printer``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.kiosk.errors import KioskError
from cloud.kiosk.print_on_caller import a4_refusal


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
    why, name = await a4_refusal(sessions, device_id, site)
    if why:
        raise NoA4ForCertificate(why)
    return name
