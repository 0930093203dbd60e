"""Queries on ``hall_content``: the current version, the list, the images a site may use and
the blobs its devices may read."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.hall import HallStaff
from cloud.db.models import Site
from cloud.hall.content_tables import DRAFT, PUBLISHED, HallContent

#: the kinds this service versions (``live`` belongs to the queue and is not kept here)
KINDS = ("floorplan", "windows")


async def current(s: AsyncSession, site_id: int, kind: str) -> HallContent | None:
    """The newest published row of (site, kind)."""
    stmt = (
        select(HallContent)
        .where(
            HallContent.site_id == site_id,
            HallContent.kind == kind,
            HallContent.state == PUBLISHED,
        )
        .order_by(HallContent.version.desc())
        .limit(1)
    )
    return (await s.scalars(stmt)).first()


async def published(
    s: AsyncSession, site_id: int, kind: str, limit: int = 200
) -> list[HallContent]:
    """Published rows, newest first."""
    stmt = (
        select(HallContent)
        .where(
            HallContent.site_id == site_id,
            HallContent.kind == kind,
            HallContent.state == PUBLISHED,
        )
        .order_by(HallContent.version.desc())
        .limit(limit)
    )
    return list((await s.scalars(stmt)).all())


async def drafts(s: AsyncSession, site_id: int, kind: str, limit: int = 20) -> list[HallContent]:
    stmt = (
        select(HallContent)
        .where(HallContent.site_id == site_id, HallContent.kind == kind, HallContent.state == DRAFT)
        .order_by(HallContent.id.desc())
        .limit(limit)
    )
    return list((await s.scalars(stmt)).all())


async def uploaded_image(s: AsyncSession, site_id: int, sha256: str) -> dict[str, Any] | None:
    """The image record (``image``, ``width``, ``height``) of a plan uploaded for this site
    (a draft or a published plan); None if this site never had that image."""
    rows = (
        await s.scalars(
            select(HallContent)
            .where(HallContent.site_id == site_id, HallContent.kind == "floorplan")
            .order_by(HallContent.id.desc())
        )
    ).all()
    for row in rows:
        image = row.body.get("image")
        if isinstance(image, dict) and image.get("sha256") == sha256:
            return {"image": image, "width": row.body["width"], "height": row.body["height"]}
    return None


async def readable_blobs(s: AsyncSession, site_path: str) -> set[str]:
    """Blobs named by the current or the previous published content of the site: its devices
    may fetch them (the previous too, so a screen still finishing an update is not cut off)."""
    site_id = await s.scalar(select(Site.id).where(Site.path == site_path))
    if site_id is None:
        return set()
    found: set[str] = set()
    for kind in KINDS:
        for row in await published(s, site_id, kind, limit=2):
            found.update(str(b) for b in row.blobs)
    return found


async def sites_with_content(s: AsyncSession) -> list[tuple[int, str]]:
    """(site id, path) of every site with published content."""
    stmt = (
        select(Site.id, Site.path)
        .join(HallContent, HallContent.site_id == Site.id)
        .where(HallContent.state == PUBLISHED)
        .group_by(Site.id, Site.path)
    )
    return [(int(i), str(p)) for i, p in (await s.execute(stmt)).all()]


async def max_version(s: AsyncSession, site_id: int, kind: str) -> int | None:
    stmt = select(func.max(HallContent.version)).where(
        HallContent.site_id == site_id, HallContent.kind == kind
    )
    value = await s.scalar(stmt)
    return int(value) if value is not None else None


def image_refs(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The ``BlobRef`` dicts a content body names: the plan image, the staff photos."""
    refs = [body["image"]] if isinstance(body.get("image"), dict) else []
    for window in body.get("windows", []) if body.get("kind") == "windows" else []:
        refs += [c["photo"] for c in window.get("staff", []) if isinstance(c.get("photo"), dict)]
    return refs


async def image_type(s: AsyncSession, site_id: int, sha256: str) -> str | None:
    """The media type of an image the site's content or staff name (None: not theirs)."""
    media = await s.scalar(
        select(HallStaff.photo_media_type).where(
            HallStaff.site_id == site_id, HallStaff.photo_sha256 == sha256
        )
    )
    if media:
        return str(media)
    rows = await s.scalars(select(HallContent.body).where(HallContent.site_id == site_id))
    for body in rows.all():
        for ref in image_refs(body):
            if ref.get("sha256") == sha256:
                return str(ref.get("media_type"))
    return None
