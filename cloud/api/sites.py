"""``/api/v1/sites``: the site tree."""

from __future__ import annotations

from fastapi import APIRouter, status

from cloud.api.deps import SessionsDep
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.db import sites as site_repo
from cloud.schemas import SiteCreate, SiteNode
from fleet.sites import SiteLevel

router = APIRouter(
    prefix="/api/v1/sites",
    tags=["sites"],
    responses=error_responses(422, 500),  # 422: a NUL in the query (cloud/api/nul_guard.py)
    route_class=StrictJsonRoute,
)


@router.get("", response_model=list[SiteNode])
async def site_tree(sessions: SessionsDep) -> list[SiteNode]:
    """The whole tree, roots first."""
    async with sessions() as s:
        return [SiteNode.model_validate(n) for n in await site_repo.tree(s)]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=SiteNode,
    responses=error_responses(
        400,
        413,
        described={
            404: "the parent site does not exist",
            409: "a site with this path exists already, or the level is not deeper than the "
            "parent's",
        },
    ),
)
async def create_site(body: SiteCreate, sessions: SessionsDep) -> SiteNode:
    """Add a site under ``parent`` (a path; omit for a root). Its level must be deeper than the
    parent's (else 409); 409 if the path exists."""
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
