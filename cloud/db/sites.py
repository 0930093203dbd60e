"""Site tree storage: create with the tree rules, look up by path, seed a tree, list as a tree."""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import ColumnElement, Engine, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from cloud.db.models import Site
from cloud.errors import Conflict, NotFound, Unprocessable
from fleet.errors import SiteTreeError
from fleet.sites import SiteLevel, SiteSpec, check_child, child_path


async def get_by_path(session: AsyncSession, path: str) -> Site | None:
    return (await session.execute(select(Site).where(Site.path == path))).scalar_one_or_none()


def not_found(path: str) -> NotFound:
    """The 404 of a site that does not exist — and of one outside the caller's scope, so the
    two cannot be told apart."""
    return NotFound(f"site {path!r} does not exist; list sites with GET /api/v1/sites")


async def require(session: AsyncSession, path: str) -> Site:
    site = await get_by_path(session, path)
    if site is None:
        raise not_found(path)
    return site


def in_subtree(path: str) -> ColumnElement[bool]:
    """SQL condition: a site is ``path`` or below it."""
    escaped = path.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(Site.path == path, Site.path.like(f"{escaped}/%", escape="\\"))


async def create(
    session: AsyncSession, parent_path: str | None, code: str, name: str, level: SiteLevel
) -> Site:
    """Add a site under ``parent_path`` (None: a root); enforces levels, codes and depth."""
    parent = await require(session, parent_path) if parent_path else None
    try:
        check_child(SiteLevel(parent.level) if parent else None, level)
    except SiteTreeError as err:  # a valid request that clashes with the parent as it is
        raise Conflict(f"{err}; choose a deeper level or another parent") from err
    try:
        path = child_path(parent.path if parent else None, code)
    except SiteTreeError as err:
        raise Unprocessable(str(err)) from err
    if await get_by_path(session, path) is not None:
        raise Conflict(f"site {path!r} already exists; choose another code or use the existing one")
    site = Site(
        parent_id=parent.id if parent else None, code=code, path=path, name=name, level=level
    )
    session.add(site)
    try:
        await session.flush()
    except IntegrityError as err:  # a concurrent create of the same path
        raise Conflict(f"site {path!r} already exists") from err
    return site


async def seed(session: AsyncSession, spec: SiteSpec, parent: Site | None = None) -> int:
    """Create the sites of ``spec`` that are missing; returns how many were created.

    Existing sites are left as they are, so seeding twice changes nothing.
    """
    path = child_path(parent.path if parent else None, spec.code)
    site = await get_by_path(session, path)
    created = 0
    if site is None:
        parent_path = parent.path if parent else None
        site = await create(session, parent_path, spec.code, spec.name, spec.level)
        created = 1
    for child in spec.children:
        created += await seed(session, child, site)
    return created


async def tree(session: AsyncSession, scope: str | None = None) -> list[dict[str, Any]]:
    """All sites (of the subtree ``scope``, if given) as nested dicts, roots first, children
    ordered by code; the scope's own site is a root of the answer."""
    stmt = select(Site).order_by(Site.path)
    if scope is not None:
        stmt = stmt.where(in_subtree(scope))
    sites = (await session.execute(stmt)).scalars().all()
    nodes: dict[int, dict[str, Any]] = {}
    roots: list[dict[str, Any]] = []
    for s in sites:  # ordered by path, so a parent always comes before its children
        node = {
            "code": s.code,
            "path": s.path,
            "name": s.name,
            "level": SiteLevel(s.level).label,
            "level_no": s.level,
            "children": [],
        }
        nodes[s.id] = node
        parent = nodes.get(s.parent_id) if s.parent_id is not None else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots


#: site id → path, per engine. A site's path never changes (sites are only added), so a path
#: once read stays right; this spares every job response a query.
_PATHS: weakref.WeakKeyDictionary[Engine, dict[int, str]] = weakref.WeakKeyDictionary()


async def paths(session: AsyncSession | AsyncConnection, ids: set[int]) -> dict[int, str]:
    """Paths of the sites ``ids`` (missing sites are left out), read once per process (also
    on a bare connection: the long-poll reads its job with Core, see ``cloud.jobs``)."""
    engine = session.sync_engine if isinstance(session, AsyncConnection) else session.get_bind()
    known = _PATHS.setdefault(engine.engine, {})
    missing = ids - known.keys()
    if missing:
        rows = await session.execute(select(Site.id, Site.path).where(Site.id.in_(missing)))
        known.update({site_id: path for site_id, path in rows.all()})
    return known
