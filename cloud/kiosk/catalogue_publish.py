"""Publishing the catalogue: the working copy (drafts left out) becomes one ``Catalogue`` JSON
blob under the next version number, recorded with its audit row, and a ``CatalogueBody``
naming the blob is offered to every site (retained ``kf/v1/site/{path}/catalogue``, newest
version wins in the publisher). The kiosks fetch the blob with their own credentials and
check its sha256; ``GET /api/v1/kiosk/catalogue`` serves the same bytes to one that missed it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.blobs import BlobStore
from cloud.db.guide import GuideItem, GuideVersion
from cloud.db.models import utcnow
from cloud.hall.publisher import ContentPublisher
from cloud.kiosk import catalogue_repo as repo
from cloud.kiosk.catalogue_check import item_problems
from cloud.kiosk.catalogue_errors import GuideInvalid, NothingToPublish, StaleVersion
from cloud.kiosk.catalogue_schemas import VersionOut
from protocols.guide import Catalogue, CatalogueBody, CatalogueRef, Item

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PublishedCatalogue:
    """One publication as the cloud serves it: the exact bytes and the parsed document."""

    version: int
    sha256: str
    data: bytes
    catalogue: Catalogue
    items: dict[str, Item]


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


def version_out(row: GuideVersion, current: int | None) -> VersionOut:
    return VersionOut(
        version=row.version,
        published_at=row.published_at,
        published_by=row.published_by,
        blob_sha256=row.blob_sha256,
        size=row.size,
        items=row.items,
        sample=row.sample,
        note=row.note,
        current=row.version == current,
    )


def bodies(cat: Catalogue, sha256: str, size: int, sites: list[str]) -> list[CatalogueBody]:
    """The retained body for each site: every site's kiosks hold the same document."""
    ref = CatalogueRef(sha256=sha256, size=size)
    return [
        CatalogueBody(
            site=site,
            version=cat.version,
            published_at=cat.published_at,
            blob=ref,
            items=len(cat.items),
            sample=cat.sample,
        )
        for site in sites
    ]


class CataloguePublisher:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        publisher: ContentPublisher,
    ) -> None:
        self.sessions = sessions
        self.blobs = blobs
        self.publisher = publisher
        self._held: PublishedCatalogue | None = None

    async def publish(self, actor: str, ip: str = "", note: str = "") -> VersionOut:
        async with self.sessions() as s:
            cat = await self._freeze(s)
            data = cat.model_dump_json().encode()
            sha = hashlib.sha256(data).hexdigest()
            await self.blobs.put(sha, _chunks(data))
            row = GuideVersion(
                version=cat.version,
                published_at=cat.published_at,
                published_by=actor,
                blob_sha256=sha,
                size=len(data),
                items=len(cat.items),
                sample=cat.sample,
                note=note,
            )
            s.add(row)
            detail = {"version": cat.version, "items": len(cat.items), "sha256": sha}
            target = f"catalogue:{cat.version}"
            audit.add(
                s,
                audit.AuditRecord(
                    actor, "guide.publish", audit.Result.OK, target, "", ip, note, detail
                ),
            )
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                raise StaleVersion(
                    f"someone published catalogue version {cat.version} at the same moment: "
                    "look at GET /api/v1/guide/versions and publish again if still needed"
                ) from None
            out = version_out(row, cat.version)
            sites = await repo.site_paths(s)
        self._held = PublishedCatalogue(cat.version, sha, data, cat, {i.code: i for i in cat.items})
        offered = self._offer(cat, sha, len(data), sites)
        log.info(
            "catalogue v%d published (%d items), offered to %d sites",
            cat.version,
            len(cat.items),
            offered,
        )
        return out

    async def _freeze(self, s: AsyncSession) -> Catalogue:
        """The working copy as the next version's document, or why it cannot be published."""
        departments, themes = await repo.departments(s), await repo.themes(s)
        sites = set(await repo.site_paths(s))
        rows: list[GuideItem] = [r for r in await repo.items(s) if not r.draft]
        if not rows:
            raise NothingToPublish(
                "there is nothing to publish: the catalogue has no item that is not a draft; "
                "add items (or import them) first"
            )
        items = [Item.model_validate(r.body) for r in rows]
        known_d, known_t = {d.code for d in departments}, {t.code for t in themes}
        found: list[tuple[list[str | int], str]] = [
            (["items", item.code], problem)
            for item in items
            for problem in item_problems(item, known_d, known_t, sites)
        ]
        if found:
            raise GuideInvalid("the catalogue cannot be published", found)
        return Catalogue(
            version=await repo.max_version(s) + 1,
            published_at=utcnow(),
            sample=any(r.sample for r in rows),
            departments=departments,
            themes=themes,
            items=items,
        )

    def _offer(self, cat: Catalogue, sha: str, size: int, sites: list[str]) -> int:
        return sum(self.publisher.offer(b) for b in bodies(cat, sha, size, sites))

    async def versions(self, limit: int) -> list[VersionOut]:
        async with self.sessions() as s:
            rows = await repo.versions(s, limit)
            newest = await repo.latest(s)
        current = newest.version if newest else None
        return [version_out(r, current) for r in rows]

    async def document(self, version: int) -> bytes | None:
        """The exact JSON of publication ``version`` (None: there is no such version)."""
        async with self.sessions() as s:
            row = await s.get(GuideVersion, version)
        if row is None:
            return None
        held = self._held
        if held is not None and held.version == version:
            return held.data
        return await asyncio.to_thread(self._read, row.blob_sha256)

    async def current(self) -> PublishedCatalogue | None:
        """The newest publication (read from its blob once per version, then held)."""
        async with self.sessions() as s:
            row = await repo.latest(s)
        if row is None:
            return None
        held = self._held
        if held is not None and held.version == row.version:
            return held
        data = await asyncio.to_thread(self._read, row.blob_sha256)
        cat = Catalogue.model_validate_json(data)
        held = PublishedCatalogue(
            row.version, row.blob_sha256, data, cat, {i.code: i for i in cat.items}
        )
        self._held = held
        return held

    def _read(self, sha256: str) -> bytes:
        with self.blobs.open(sha256) as f:
            return f.read()

    async def republish_all(self) -> int:
        """Offer the current publication to every site (the broker may have lost its retained
        copies); the number of bodies the publisher took."""
        got = await self.current()
        if got is None:
            return 0
        async with self.sessions() as s:
            sites = await repo.site_paths(s)
        return self._offer(got.catalogue, got.sha256, len(got.data), sites)
