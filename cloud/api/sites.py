"""``/api/v1/sites``: the site tree."""

from __future__ import annotations

from fastapi import APIRouter, status

from cloud.api.auth_deps import scope_of
from cloud.api.callers import SitesReader, SitesWriter
from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.db import sites as site_repo
from cloud.errors import Forbidden
from cloud.schemas import SiteCreate, SiteNode
from fleet.sites import SiteLevel

router = APIRouter(
    prefix="/api/v1/sites",
    tags=["sites"],
    # 422: a NUL in the query (cloud/api/nul_guard.py)
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)


@router.get("", response_model=list[SiteNode])
async def site_tree(caller: SitesReader, sessions: SessionsDep) -> list[SiteNode]:
    """The caller's subtree, its scope's site first (``qh`` scope: the whole tree)."""
    async with sessions() as s:
        return [SiteNode.model_validate(n) for n in await site_repo.tree(s, scope_of(caller))]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SiteNode,
    responses=error_responses(
        400,
        413,
        described={
            404: "the parent site does not exist (or is outside your scope)",
            409: "a site with this path exists already, or the level is not deeper than the "
            "parent's",
        },
    ),
)
async def create_site(body: SiteCreate, caller: SitesWriter, sessions: SessionsDep) -> SiteNode:
    """Add a site under ``parent`` (a path inside your scope; a new root is made with
    ``kfleet cloud seed-pilot``, not here). Its level must be deeper than the parent's (else
    409); 409 if the path exists."""
    if body.parent is None:
        raise Forbidden(
            f"a new root site would be outside your scope {scope_of(caller)!r}; add sites "
            "under a parent in your scope",
            "outside_scope",
        )
    if not caller.sees(body.parent):
        raise site_repo.not_found(body.parent)
    async with sessions() as s:
        site = await site_repo.create(
            s, body.parent, body.code, body.name, SiteLevel[body.level.upper()]
        )
        await s.commit()
        return SiteNode(
            code=site.code,
            path=site.path,
            name=site.name,
            level=SiteLevel(site.level).label,
            level_no=site.level,
        )
