"""The window information of a site, read from its configuration (windows, the services of
the queues each window calls, the staff on each window's roster with their photos)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallQueue, HallService, HallStaff, HallWindow
from protocols.hall import BlobRef, ServiceLabel, StaffCard, WindowInfo


def staff_card(row: HallStaff) -> StaffCard:
    photo = None
    if row.photo_sha256:
        photo = BlobRef.model_validate(
            {
                "sha256": row.photo_sha256,
                "size": row.photo_size,
                "media_type": row.photo_media_type,
            }
        )
    return StaffCard(staff_no=row.staff_no, name=row.name, title=row.title, photo=photo)


async def window_infos(s: AsyncSession, site_id: int) -> list[WindowInfo]:
    """Every window of the site, in number order, as the window screens show them."""
    windows = (
        await s.scalars(
            select(HallWindow).where(HallWindow.site_id == site_id).order_by(HallWindow.number)
        )
    ).all()
    services = (
        await s.execute(
            select(HallService, HallQueue.code)
            .join(HallQueue, HallQueue.id == HallService.queue_id)
            .where(HallService.site_id == site_id, HallService.active.is_(True))
            .order_by(HallService.code)
        )
    ).all()
    staff = {
        row.staff_no: row
        for row in (
            await s.scalars(
                select(HallStaff).where(HallStaff.site_id == site_id, HallStaff.active.is_(True))
            )
        ).all()
    }
    infos = []
    for w in windows:
        codes = [str(c) for c in w.queue_codes]
        labels = [
            ServiceLabel(code=svc.code, name_zh=svc.name_zh, name_en=svc.name_en)
            for svc, queue_code in services
            if queue_code in codes
        ]
        cards = [staff_card(staff[str(n)]) for n in w.roster if str(n) in staff]
        infos.append(
            WindowInfo(
                number=w.number,
                name_zh=w.name_zh,
                name_en=w.name_en,
                services=labels[:50],
                staff=cards[:20],
                screen_device=w.screen_device,
            )
        )
    return infos


async def window_numbers(s: AsyncSession, site_id: int) -> list[str]:
    rows = await s.scalars(select(HallWindow.number).where(HallWindow.site_id == site_id))
    return [str(n) for n in rows.all()]
