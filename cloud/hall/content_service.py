"""Site content: upload floor plans, publish plans and window information as new versions,
roll back (a new version with an old body), republish everything at start.

Numbers and checks are decided in :mod:`fleet.content`; this service loads what they need,
stores the row and its audit entry in one transaction, then offers the body to the
:class:`~cloud.hall.publisher.ContentPublisher` (retained on ``kf/v1/site/{path}/{kind}``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.blobs import BlobStore
from cloud.db import sites as site_repo
from cloud.db.models import Site, utcnow
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.hall import content_repo as repo
from cloud.hall.content_images import CheckedImage, ImageLimits, check_image
from cloud.hall.content_schemas import FloorPlanIn
from cloud.hall.content_tables import DRAFT, PUBLISHED, HallContent
from cloud.hall.content_windows import window_infos, window_numbers
from cloud.hall.publisher import Content, ContentPublisher
from fleet.content import AreaSpot, VersionError, WindowSpot, check_plan, next_version
from fleet.content import rollback_version as plan_rollback
from protocols.hall import FloorPlanBody, WindowsBody, content_model

log = logging.getLogger(__name__)


class StaleVersion(Conflict):
    code = "stale_version"


class PlanInvalid(Unprocessable):
    """A plan's positions or names are wrong; ``errors`` names each field, as validation does."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.errors: list[dict[str, Any]] = [
            {"loc": ("body", "plan", *f.split(".")), "msg": m, "type": "value_error"}
            for f, m in problems
        ]
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def blobs_of(body: dict[str, Any]) -> list[str]:
    """Every blob sha256 a content body names (plan image, staff photos)."""
    return sorted({str(ref["sha256"]) for ref in repo.image_refs(body)})


class ContentService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: ContentPublisher,
        blobs: BlobStore,
        plan_limits: ImageLimits,
        photo_limits: ImageLimits,
    ) -> None:
        self.sessions = sessions
        self._publisher = publisher
        self.blobs = blobs
        self.plan_limits = plan_limits
        self.photo_limits = photo_limits

    # --- images ----------------------------------------------------------------------------

    async def store_image(self, data: bytes, limits: ImageLimits, what: str) -> dict[str, Any]:
        """Check an uploaded image and keep it as a blob; its ``BlobRef`` fields and size."""
        # decoding a large plan takes 0.1-1 s of CPU: off the event loop
        checked: CheckedImage = await asyncio.to_thread(check_image, data, limits, what)
        sha = hashlib.sha256(data).hexdigest()
        await self.blobs.put(sha, _chunks(data))
        ref = {"sha256": sha, "size": len(data), "media_type": checked.media_type}
        return {"image": ref, "width": checked.width, "height": checked.height}

    async def upload_floorplan(self, site: str, data: bytes, actor: str, ip: str) -> HallContent:
        """A new draft holding the uploaded plan (and the current plan's placements, if any)."""
        stored = await self.store_image(data, self.plan_limits, "the floor plan")
        async with self.sessions() as s:
            row = await site_repo.require(s, site)
            now = utcnow()
            cur = await repo.current(s, row.id, "floorplan")
            keep = {k: cur.body.get(k, []) for k in ("windows", "areas", "markers")} if cur else {}
            titles = {k: cur.body.get(k, "") for k in ("title_zh", "title_en")} if cur else {}
            body = {"kind": "floorplan", **stored, **titles, **keep}
            draft = HallContent(
                site_id=row.id,
                kind="floorplan",
                version=None,
                state=DRAFT,
                body=body,
                blobs=blobs_of(body),
                created_at=now,
                created_by=actor,
                published_by="",
            )
            s.add(draft)
            sha = stored["image"]["sha256"]
            self._audit(s, actor, ip, "hall_content.upload", site, f"blob:{sha}", stored)
            await s.commit()
        return draft

    # --- publishing ------------------------------------------------------------------------

    async def publish_floorplan(
        self, site: str, plan: FloorPlanIn, actor: str, *, version: int | None = None, ip: str = ""
    ) -> FloorPlanBody:
        async with self.sessions() as s:
            row = await site_repo.require(s, site)
            image = await repo.uploaded_image(s, row.id, plan.image_sha256)
            if image is None:
                raise NotFound(
                    f"image {plan.image_sha256} was never uploaded as a floor plan of {site}: "
                    "upload it first (POST /api/v1/hall/floorplans?site=...) and publish the "
                    "sha256 the upload returned"
                )
            self._check_plan(plan, await window_numbers(s, row.id))
            partial = {
                "kind": "floorplan",
                **image,
                **plan.model_dump(exclude={"image_sha256"}),
            }
            body = await self._publish(s, row, partial, actor, ip, version, None)
        assert isinstance(body, FloorPlanBody)
        return body

    @staticmethod
    def _check_plan(plan: FloorPlanIn, site_windows: list[str]) -> None:
        problems = check_plan(
            [WindowSpot(w.number, w.x, w.y) for w in plan.windows],
            [AreaSpot(a.name_zh, a.x, a.y, a.w, a.h) for a in plan.areas],
            site_windows,
            [(m.device_id, m.x, m.y) for m in plan.markers],
        )
        if problems:
            raise PlanInvalid([(p.field, p.message) for p in problems])

    async def publish_windows(
        self,
        site: str,
        actor: str = "system:hall",
        *,
        version: int | None = None,
        force: bool = False,
        ip: str = "",
    ) -> WindowsBody | None:
        """Publish the site's window information as built from its configuration now.

        Unless ``force``, nothing is published when it equals the current version's (the
        queue may call this after every configuration change): None then."""
        async with self.sessions() as s:
            row = await site_repo.require(s, site)
            infos = [w.model_dump(mode="json") for w in await window_infos(s, row.id)]
            cur = await repo.current(s, row.id, "windows")
            if not force and cur is not None and cur.body.get("windows") == infos:
                return None
            partial = {"kind": "windows", "windows": infos}
            body = await self._publish(s, row, partial, actor, ip, version, None)
        assert isinstance(body, WindowsBody)
        return body

    async def rollback(
        self, site: str, kind: str, target: int, actor: str, ip: str = ""
    ) -> Content:
        """Publish version ``target``'s body again, as the next version."""
        async with self.sessions() as s:
            row = await site_repo.require(s, site)
            rows = await repo.published(s, row.id, kind)
            current = rows[0].version if rows else None
            try:
                upcoming = plan_rollback(current, target, [r.version for r in rows if r.version])
            except VersionError as err:
                raise StaleVersion(str(err)) from None
            old = next(r for r in rows if r.version == target)
            partial = {k: v for k, v in old.body.items() if k not in ("version", "published_at")}
            partial.pop("site", None)
            return await self._publish(s, row, partial, actor, ip, upcoming, target)

    async def _publish(
        self,
        s: AsyncSession,
        site: Site,
        partial: dict[str, Any],
        actor: str,
        ip: str,
        requested: int | None,
        rolled_back_to: int | None,
    ) -> Content:
        kind = str(partial["kind"])
        try:
            version = next_version(await repo.max_version(s, site.id, kind), requested)
        except VersionError as err:
            raise StaleVersion(str(err)) from None
        now = utcnow()
        model = content_model(kind)
        assert model is not None
        body = model.model_validate(
            {**partial, "site": site.path, "version": version, "published_at": now}
        )
        data = body.model_dump(mode="json")
        s.add(
            HallContent(
                site_id=site.id,
                kind=kind,
                version=version,
                state=PUBLISHED,
                body=data,
                blobs=blobs_of(data),
                rolled_back_to=rolled_back_to,
                created_at=now,
                created_by=actor,
                published_at=now,
                published_by=actor,
            )
        )
        action = "hall_content.rollback" if rolled_back_to else "hall_content.publish"
        detail = {"version": version, "rolled_back_to": rolled_back_to}
        path = site.path  # read now: after a failed commit the row is expired
        self._audit(s, actor, ip, action, path, f"content:{kind}", detail)
        try:
            await s.commit()
        except IntegrityError:
            await s.rollback()
            raise StaleVersion(
                f"someone published {kind} version {version} of {path} at the same moment: "
                "reload the current content and publish again"
            ) from None
        self._publisher.offer(body)
        return body

    @staticmethod
    def _audit(
        s: AsyncSession, actor: str, ip: str, action: str, site: str, target: str, detail: Any
    ) -> None:
        audit.add(
            s,
            audit.AuditRecord(actor, action, audit.Result.OK, target, site, ip, "", dict(detail)),
        )

    # --- reading ---------------------------------------------------------------------------

    async def current(self, site: str, kind: str) -> Content | None:
        async with self.sessions() as s:
            site_row = await site_repo.require(s, site)
            row = await repo.current(s, site_row.id, kind)
        model = content_model(kind)
        if row is None or model is None:
            return None
        return model.model_validate(row.body)

    async def republish_all(self) -> int:
        """Offer every site's current content to the publisher (at start: the broker may have
        lost its retained messages); the number of bodies offered."""
        offered = 0
        async with self.sessions() as s:
            for site_id, path in await repo.sites_with_content(s):
                for kind in repo.KINDS:
                    row = await repo.current(s, site_id, kind)
                    model = content_model(kind)
                    if row is None or model is None:
                        continue
                    try:
                        offered += self._publisher.offer(model.model_validate(row.body))
                    except ValueError:
                        log.exception(
                            "content %s v%s of %s no longer valid", kind, row.version, path
                        )
        return offered

    async def republish_at_start(self) -> None:
        """The ``Hall.workers`` entry: republish once, then end."""
        offered = await self.republish_all()
        log.info("republished %d site content bodies", offered)

    async def readable_blobs(self, site_path: str) -> set[str]:
        async with self.sessions() as s:
            return await repo.readable_blobs(s, site_path)

    async def image_type(self, site: str, sha256: str) -> str | None:
        """The media type of ``sha256`` if the site's content or staff name it, else None."""
        async with self.sessions() as s:
            row = await site_repo.get_by_path(s, site)
            if row is None:
                return None
            return await repo.image_type(s, row.id, sha256)

    async def require_site(self, site: str) -> None:
        async with self.sessions() as s:
            if await site_repo.get_by_path(s, site) is None:
                raise NotFound(f"site {site!r} does not exist; list sites with GET /api/v1/sites")
