"""The staff of a site (工号, name, title, photo) as the window screens show them.

Every change republishes the site's window information when it changed what screens show
(:meth:`ContentService.publish_windows`), so a new photo reaches the screens without a
separate publish step. A photo passes the same checks as a floor plan, raster only.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.db import sites as site_repo
from cloud.db.hall import HallStaff
from cloud.errors import Conflict, NotFound
from cloud.hall.content_images import NotAnImage, sniff
from cloud.hall.content_schemas import StaffCreateIn, StaffIn, StaffOut
from cloud.hall.content_service import ContentService


def staff_out(site: str, row: HallStaff) -> StaffOut:
    return StaffOut(
        site=site,
        staff_no=row.staff_no,
        name=row.name,
        title=row.title,
        username=row.username,
        active=row.active,
        photo_sha256=row.photo_sha256,
        photo_media_type=row.photo_media_type,
        photo_size=row.photo_size,
    )


class StaffBook:
    """Staff CRUD of one cloud; each change is audited with its site."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], content: ContentService) -> None:
        self._sessions = sessions
        self._content = content

    async def list(self, site: str) -> list[StaffOut]:
        async with self._sessions() as s:
            row = await site_repo.require(s, site)
            rows = await s.scalars(
                select(HallStaff).where(HallStaff.site_id == row.id).order_by(HallStaff.staff_no)
            )
            return [staff_out(site, r) for r in rows.all()]

    async def _load(self, s: AsyncSession, site: str, staff_no: str) -> HallStaff:
        site_row = await site_repo.require(s, site)
        row = await s.scalar(
            select(HallStaff).where(
                HallStaff.site_id == site_row.id, HallStaff.staff_no == staff_no
            )
        )
        if row is None:
            raise NotFound(
                f"no staff member {staff_no} at {site}; list them with GET /api/v1/hall/staff"
            )
        return row

    async def create(self, site: str, body: StaffCreateIn, actor: str, ip: str) -> StaffOut:
        async with self._sessions() as s:
            site_row = await site_repo.require(s, site)
            row = HallStaff(site_id=site_row.id, **body.model_dump(), photo_sha256="")
            row.photo_media_type, row.photo_size = "", 0
            s.add(row)
            _audit(s, actor, ip, "hall_staff.create", site, row)
            try:
                await s.commit()
            except IntegrityError:
                raise Conflict(
                    f"staff number {body.staff_no} exists already at {site}: change that "
                    "member with PUT, or use another number"
                ) from None
        await self._content.publish_windows(site, actor, ip=ip)
        return staff_out(site, row)

    async def update(
        self, site: str, staff_no: str, body: StaffIn, actor: str, ip: str
    ) -> StaffOut:
        async with self._sessions() as s:
            row = await self._load(s, site, staff_no)
            for key, value in body.model_dump().items():
                setattr(row, key, value)
            _audit(s, actor, ip, "hall_staff.update", site, row)
            await s.commit()
        await self._content.publish_windows(site, actor, ip=ip)
        return staff_out(site, row)

    async def delete(self, site: str, staff_no: str, actor: str, ip: str) -> None:
        async with self._sessions() as s:
            row = await self._load(s, site, staff_no)
            _audit(s, actor, ip, "hall_staff.delete", site, row)
            await s.delete(row)
            await s.commit()
        await self._content.publish_windows(site, actor, ip=ip)

    async def set_photo(
        self, site: str, staff_no: str, data: bytes, actor: str, ip: str
    ) -> StaffOut:
        if sniff(data) == "image/svg+xml":
            raise NotAnImage(
                "a staff photo must be a PNG, JPEG or WebP photograph, not an SVG drawing: "
                "upload the photo itself"
            )
        async with self._sessions() as s:
            await self._load(s, site, staff_no)  # 404 before storing anything
        stored = await self._content.store_image(
            data, self._content.photo_limits, f"the photo of staff {staff_no}"
        )
        async with self._sessions() as s:
            row = await self._load(s, site, staff_no)
            ref = stored["image"]
            row.photo_sha256, row.photo_media_type = ref["sha256"], ref["media_type"]
            row.photo_size = ref["size"]
            _audit(s, actor, ip, "hall_staff.photo", site, row)
            await s.commit()
        await self._content.publish_windows(site, actor, ip=ip)
        return staff_out(site, row)


def _audit(s: AsyncSession, actor: str, ip: str, action: str, site: str, row: HallStaff) -> None:
    detail = {"name": row.name, "title": row.title, "active": row.active}
    if row.photo_sha256:
        detail["photo"] = row.photo_sha256
    audit.add(
        s,
        audit.AuditRecord(
            actor, action, audit.Result.OK, f"hall_staff:{row.staff_no}", site, ip, "", detail
        ),
    )
