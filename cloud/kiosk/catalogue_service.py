"""The service-guide catalogue: the console's working copy (items, departments, themes),
publications as versioned blobs offered to every site, and the current published catalogue
for the other kiosk services (the printed guide, the public page).

Every change is one transaction with its audit row. Saving an item checks its shape and that
its department and themes exist; what else stops it from being published (its situations,
``fleet.guide.problems``, and sites that do not exist) is answered with it and refused only
at publication, so an editor can save half-done work (or mark it ``draft``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.blobs import BlobStore
from cloud.db.guide import GuideDepartment, GuideItem, GuideTheme
from cloud.db.models import utcnow
from cloud.hall.publisher import ContentPublisher
from cloud.kiosk import catalogue_repo as repo
from cloud.kiosk.catalogue_check import item_problems, reference_problems
from cloud.kiosk.catalogue_errors import GuideInvalid, ItemExists, ItemNotFound, StaleRevision
from cloud.kiosk.catalogue_import import apply
from cloud.kiosk.catalogue_io import GuideDocument, check_document
from cloud.kiosk.catalogue_publish import CataloguePublisher, PublishedCatalogue
from cloud.kiosk.catalogue_schemas import ImportMode, ImportOut, ItemOut, ItemSummary, VersionOut
from protocols.guide import Catalogue, Department, Item, Theme

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Filters:
    """The console list's filters (all optional); ``q`` matches code, names and keywords."""

    q: str = ""
    department: str = ""
    theme: str = ""
    object: str = ""

    def match(self, item: Item) -> bool:
        if self.department and item.department != self.department:
            return False
        if self.theme and self.theme not in item.themes:
            return False
        if self.object and item.object not in (self.object, "both"):
            return False
        text = " ".join([item.code, item.name, item.name_en, *item.keywords]).lower()
        return not self.q or self.q.lower() in text


@dataclass(frozen=True)
class Known:
    """The codes an item may name, read in the same transaction as the save."""

    departments: set[str]
    themes: set[str]
    sites: set[str]

    @classmethod
    async def read(cls, s: AsyncSession) -> Known:
        return cls(
            {d.code for d in await repo.departments(s)},
            {t.code for t in await repo.themes(s)},
            set(await repo.site_paths(s)),
        )

    def problems(self, item: Item) -> list[str]:
        return item_problems(item, self.departments, self.themes, self.sites)


def item_out(row: GuideItem, known: Known) -> ItemOut:
    item = Item.model_validate(row.body)
    return ItemOut(
        item=item,
        draft=row.draft,
        sample=row.sample,
        revision=row.revision,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        problems=known.problems(item),
    )


def summary(row: GuideItem, item: Item, problems: int) -> ItemSummary:
    return ItemSummary(
        code=item.code,
        name=item.name,
        name_en=item.name_en,
        department=item.department,
        object=item.object,
        themes=list(item.themes),
        draft=row.draft,
        sample=row.sample,
        revision=row.revision,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
        problems=problems,
    )


class CatalogueService:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        blobs: BlobStore,
        publisher: ContentPublisher,
        offer_every_s: float = 60.0,
    ) -> None:
        self.sessions = sessions
        self.published = CataloguePublisher(sessions, blobs, publisher)
        self._offer_every_s = offer_every_s

    # --- the published catalogue (other kiosk services call these) ------------------------

    async def current(self) -> Catalogue | None:
        """The catalogue the kiosks are told to hold (None: nothing published yet)."""
        got = await self.published.current()
        return got.catalogue if got else None

    async def current_document(self) -> PublishedCatalogue | None:
        """The current publication with its exact JSON bytes (what the blob holds)."""
        return await self.published.current()

    async def item(self, code: str) -> Item | None:
        """An item of the current published catalogue (None: not published or no such item)."""
        got = await self.published.current()
        return got.items.get(code) if got else None

    async def publish(self, actor: str, ip: str = "", note: str = "") -> VersionOut:
        return await self.published.publish(actor, ip, note)

    async def versions(self, limit: int = 100) -> list[VersionOut]:
        return await self.published.versions(limit)

    async def readable_blobs(self) -> set[str]:
        async with self.sessions() as s:
            return await repo.readable_blobs(s)

    async def keep_offered(self) -> None:
        """The kiosk worker: offer the current catalogue to every site at start (the broker may
        have lost its retained copies), then again every ``offer_every_s``, so a site created
        since — in the console, by ``kfleet cloud seed-pilot``, through another cloud process —
        has it within that time. The publisher drops, in memory, what a site holds already."""
        first = True
        while True:
            try:
                offered = await self.published.republish_all()
            except Exception:  # the app goes on; the next round (or publication) offers it
                log.exception("offering the catalogue to every site failed")
            else:
                if first or offered:
                    log.info("catalogue offered to %d site(s)", offered)
            first = False
            await asyncio.sleep(self._offer_every_s)

    # --- the working copy -------------------------------------------------------------------

    async def list_items(self, filters: Filters, limit: int = 500) -> tuple[list[ItemSummary], int]:
        async with self.sessions() as s:
            known = await Known.read(s)
            rows = await repo.items(s)
        found = []
        for row in rows:
            item = Item.model_validate(row.body)
            if filters.match(item):
                found.append(summary(row, item, len(known.problems(item))))
        return found[:limit], len(found)

    async def get(self, code: str) -> ItemOut:
        async with self.sessions() as s:
            row = await s.get(GuideItem, code)
            if row is None:
                raise ItemNotFound(code)
            return item_out(row, await Known.read(s))

    async def create(self, item: Item, *, draft: bool, actor: str, ip: str = "") -> ItemOut:
        async with self.sessions() as s:
            known = await Known.read(s)
            _check_references(item, known.departments, known.themes)
            if await s.get(GuideItem, item.code) is not None:
                raise ItemExists(item.code)
            now = utcnow()
            row = GuideItem(
                code=item.code,
                body=item.model_dump(mode="json"),
                draft=draft,
                sample=False,
                revision=1,
                created_at=now,
                updated_at=now,
                updated_by=actor,
            )
            s.add(row)
            _audit(s, actor, ip, "guide.item.create", f"item:{item.code}", {"draft": draft})
            await s.commit()
            return item_out(row, known)

    async def update(
        self, item: Item, *, draft: bool, revision: int | None, actor: str, ip: str = ""
    ) -> ItemOut:
        """Replace the item (its code names it); ``revision``: the one the editor loaded."""
        async with self.sessions() as s:
            known = await Known.read(s)
            _check_references(item, known.departments, known.themes)
            row = await s.get(GuideItem, item.code, with_for_update=True)
            if row is None:
                raise ItemNotFound(item.code)
            if revision is not None and revision != row.revision:
                raise StaleRevision(item.code, revision, row.revision)
            row.body = item.model_dump(mode="json")
            row.draft = draft
            row.revision += 1
            row.updated_at = utcnow()
            row.updated_by = actor
            detail = {"draft": draft, "revision": row.revision}
            _audit(s, actor, ip, "guide.item.update", f"item:{item.code}", detail)
            await s.commit()
            return item_out(row, known)

    async def delete(self, code: str, *, actor: str, ip: str = "") -> None:
        """Out of the working copy; published versions keep it until the next publication."""
        async with self.sessions() as s:
            row = await s.get(GuideItem, code, with_for_update=True)
            if row is None:
                raise ItemNotFound(code)
            await s.delete(row)
            _audit(s, actor, ip, "guide.item.delete", f"item:{code}", {})
            await s.commit()

    async def import_document(
        self, doc: GuideDocument, mode: ImportMode, *, actor: str, ip: str = ""
    ) -> ImportOut:
        """All of the file or nothing: its references are checked against the catalogue in
        the same transaction that saves it."""
        async with self.sessions() as s:
            known = await Known.read(s)
            check_document(doc, ["file"], known.departments, known.themes)
            out = await apply(s, doc, mode, actor)
            detail = out.model_dump(exclude={"problems"})
            _audit(s, actor, ip, "guide.import", f"catalogue:{mode}", detail)
            await s.commit()
        return out

    async def export_document(self) -> GuideDocument:
        """The working copy as a file (drafts marked, sample if any item is sample data)."""
        async with self.sessions() as s:
            rows = await repo.items(s)
            return GuideDocument(
                exported_at=utcnow(),
                sample=any(r.sample for r in rows),
                departments=await repo.departments(s),
                themes=await repo.themes(s),
                items=[Item.model_validate(r.body) for r in rows],
                drafts=[r.code for r in rows if r.draft],
            )

    async def departments(self) -> list[Department]:
        async with self.sessions() as s:
            return await repo.departments(s)

    async def themes(self) -> list[Theme]:
        async with self.sessions() as s:
            return await repo.themes(s)

    async def save_department(self, dept: Department, *, actor: str, ip: str = "") -> bool:
        """Add or rename a department; True if it is new."""
        return await self._save_named(GuideDepartment, dept, "guide.department.save", actor, ip)

    async def save_theme(self, theme: Theme, *, actor: str, ip: str = "") -> bool:
        """Add or rename a theme; True if it is new."""
        return await self._save_named(GuideTheme, theme, "guide.theme.save", actor, ip)

    async def _save_named(
        self,
        table: type[GuideDepartment] | type[GuideTheme],
        named: Department | Theme,
        action: str,
        actor: str,
        ip: str,
    ) -> bool:
        async with self.sessions() as s:
            row: GuideDepartment | GuideTheme | None = await s.get(
                table, named.code, with_for_update=True
            )
            created = row is None
            if row is None:
                row = table(code=named.code)
                s.add(row)
            row.name, row.name_en = named.name, named.name_en
            row.updated_at, row.updated_by = utcnow(), actor
            _audit(s, actor, ip, action, named.code, {"created": created, "name": named.name})
            await s.commit()
        return created


def _check_references(item: Item, departments: Collection[str], themes: Collection[str]) -> None:
    found = reference_problems(item, departments, themes)
    if found:
        raise GuideInvalid(
            f"item {item.code} names what the catalogue does not hold",
            [(["body", field], msg) for field, msg in found],
        )


def _audit(
    s: AsyncSession, actor: str, ip: str, action: str, target: str, detail: dict[str, Any]
) -> None:
    audit.add(s, audit.AuditRecord(actor, action, audit.Result.OK, target, "", ip, "", detail))
