"""Applying an imported file to the working copy, in the caller's transaction: departments and
themes added or renamed (never removed), items created or replaced; in ``replace`` mode the
items the file does not hold are deleted. The file was checked whole before this runs."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.guide import GuideDepartment, GuideItem, GuideTheme
from cloud.db.models import utcnow
from cloud.kiosk import catalogue_repo as repo
from cloud.kiosk.catalogue_check import item_problems
from cloud.kiosk.catalogue_io import GuideDocument
from cloud.kiosk.catalogue_schemas import ImportMode, ImportOut
from protocols.guide import Department, Theme


async def _named(
    s: AsyncSession,
    table: type[GuideDepartment] | type[GuideTheme],
    rows: list[Department] | list[Theme],
    actor: str,
) -> None:
    for named in rows:
        row: GuideDepartment | GuideTheme | None = await s.get(table, named.code)
        if row is None:
            row = table(code=named.code)
            s.add(row)
        row.name, row.name_en = named.name, named.name_en
        row.updated_at, row.updated_by = utcnow(), actor


async def apply(s: AsyncSession, doc: GuideDocument, mode: ImportMode, actor: str) -> ImportOut:
    await _named(s, GuideDepartment, doc.departments, actor)
    await _named(s, GuideTheme, doc.themes, actor)
    existing = {r.code: r for r in await repo.items(s)}
    drafts, now = set(doc.drafts), utcnow()
    created = updated = 0
    for item in doc.items:
        row = existing.get(item.code)
        if row is None:
            row = GuideItem(code=item.code, revision=0, created_at=now)
            s.add(row)
            created += 1
        else:
            updated += 1
        row.body = item.model_dump(mode="json")
        row.draft, row.sample = item.code in drafts, doc.sample
        row.revision += 1
        row.updated_at, row.updated_by = now, actor
    deleted = 0
    if mode == "replace":
        keep = {i.code for i in doc.items}
        for code, row in existing.items():
            if code not in keep:
                await s.delete(row)
                deleted += 1
    await s.flush()
    depts = {d.code for d in await repo.departments(s)}
    themes = {t.code for t in await repo.themes(s)}
    sites = set(await repo.site_paths(s))
    problems = {i.code: p for i in doc.items if (p := item_problems(i, depts, themes, sites))}
    return ImportOut(
        mode=mode,
        departments=len(doc.departments),
        themes=len(doc.themes),
        created=created,
        updated=updated,
        deleted=deleted,
        problems=problems,
    )
