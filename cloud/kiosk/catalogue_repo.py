"""Queries on the catalogue tables (``cloud.db.guide``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.guide import GuideDepartment, GuideItem, GuideTheme, GuideVersion
from cloud.db.models import Site
from protocols.guide import Department, Theme

#: devices may read the blobs of this many newest publications (the previous one too, so a
#: kiosk still fetching the last version is not cut off when a newer one appears)
READABLE_VERSIONS = 2


async def items(s: AsyncSession) -> list[GuideItem]:
    return list((await s.scalars(select(GuideItem).order_by(GuideItem.code))).all())


async def departments(s: AsyncSession) -> list[Department]:
    rows = await s.scalars(select(GuideDepartment).order_by(GuideDepartment.code))
    return [Department(code=r.code, name=r.name, name_en=r.name_en) for r in rows.all()]


async def themes(s: AsyncSession) -> list[Theme]:
    rows = await s.scalars(select(GuideTheme).order_by(GuideTheme.code))
    return [Theme(code=r.code, name=r.name, name_en=r.name_en) for r in rows.all()]


async def versions(s: AsyncSession, limit: int = 100) -> list[GuideVersion]:
    stmt = select(GuideVersion).order_by(GuideVersion.version.desc()).limit(limit)
    return list((await s.scalars(stmt)).all())


async def latest(s: AsyncSession) -> GuideVersion | None:
    found = await versions(s, 1)
    return found[0] if found else None


async def max_version(s: AsyncSession) -> int:
    return int(await s.scalar(select(func.max(GuideVersion.version))) or 0)


async def readable_blobs(s: AsyncSession) -> set[str]:
    """The blobs of the newest publications: any device may read them (the guide is public)."""
    return {v.blob_sha256 for v in await versions(s, READABLE_VERSIONS)}


async def site_paths(s: AsyncSession) -> list[str]:
    return [str(p) for p in (await s.scalars(select(Site.path).order_by(Site.path))).all()]
