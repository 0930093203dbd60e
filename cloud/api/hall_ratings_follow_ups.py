"""``/api/v1/hall/follow-ups``: every 差评's follow-up with its deadline (15 working days),
assignee and state; closing takes a note. Reading needs ``hall.read``, assigning and closing
``ratings.follow_up``; all limited to the caller's site subtree."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import select

from cloud.api.auth_deps import client_ip, require
from cloud.api.deps import SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.api.hall_ratings import HallReader, ratings_of, scope_for
from cloud.api.hall_ratings_schemas import AssignIn, CloseIn, FollowUpOut, FollowUpPage
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.db import sites as site_repo
from cloud.db.models import Site
from cloud.hall.ratings_follow_ups import FollowUps
from cloud.hall.ratings_tables import HallFollowUp
from fleet import ratings as rules
from fleet.access import Permission

router = APIRouter(
    tags=["hall ratings"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
FollowUpWriter = Annotated[Principal, Depends(require(Permission.RATINGS_FOLLOW_UP))]
FollowUpId = Annotated[str, Path(pattern=r"^[1-9][0-9]{0,8}$", description="a follow-up id")]
_NOT_FOUND = {404: "no such follow-up (or outside your scope)"}


def follow_up_out(fu: HallFollowUp, site: str) -> FollowUpOut:
    return FollowUpOut(
        id=fu.id,
        site=site,
        rating_id=fu.rating_id,
        level=fu.level,
        level_name=rules.level(fu.level).name_zh,
        window_no=fu.window_no,
        staff_no=fu.staff_no,
        ticket_no=fu.ticket_no,
        state=fu.state,
        opened_at=fu.opened_at,
        due_at=fu.due_at,
        assignee=fu.assignee,
        reminders=list(fu.reminders),
        closed_at=fu.closed_at,
        closed_by=fu.closed_by,
        note=fu.note,
    )


@router.get(
    "/api/v1/hall/follow-ups",
    response_model=FollowUpPage,
    summary="Follow-ups of 差评 in your scope, soonest due first",
    responses=error_responses(described={404: "no such site (or outside your scope)"}),
)
async def list_follow_ups(
    caller: HallReader,
    sessions: SessionsDep,
    site: SiteQuery = None,
    state: Annotated[
        Literal["open", "overdue", "closed", "pending", "all"],
        Query(description="pending = open or overdue"),
    ] = "pending",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> FollowUpPage:
    scope = scope_for(caller, site)
    stmt = select(HallFollowUp, Site.path).join(Site, Site.id == HallFollowUp.site_id)
    stmt = stmt.where((Site.path == scope) | Site.path.startswith(scope + "/", autoescape=True))
    if state == "pending":
        stmt = stmt.where(HallFollowUp.state.in_(["open", "overdue"]))
    elif state != "all":
        stmt = stmt.where(HallFollowUp.state == state)
    async with sessions() as s:
        rows = (
            await s.execute(stmt.order_by(HallFollowUp.due_at, HallFollowUp.id).limit(limit))
        ).all()
    return FollowUpPage(items=[follow_up_out(fu, path) for fu, path in rows])


async def _out(request: Request, fu: HallFollowUp) -> FollowUpOut:
    async with request.app.state.parts.sessions() as s:
        path = (await site_repo.paths(s, {fu.site_id})).get(fu.site_id, "")
    return follow_up_out(fu, path)


@router.get(
    "/api/v1/hall/follow-ups/{fu_id}",
    response_model=FollowUpOut,
    responses=error_responses(described=_NOT_FOUND),
)
async def get_follow_up(
    caller: HallReader, sessions: SessionsDep, request: Request, fu_id: FollowUpId
) -> FollowUpOut:
    async with sessions() as s:
        fu = await FollowUps.visible(s, int(fu_id), caller)
    return await _out(request, fu)


@router.post(
    "/api/v1/hall/follow-ups/{fu_id}/close",
    response_model=FollowUpOut,
    responses=error_responses(
        400, 413, described={**_NOT_FOUND, 409: "closed already, or no note given"}
    ),
)
async def close_follow_up(
    caller: FollowUpWriter, request: Request, fu_id: FollowUpId, body: CloseIn
) -> FollowUpOut:
    """Close with a note saying what was done (整改情况); audited."""
    fu = await ratings_of(request).follow_ups.close(
        int(fu_id), body.note, caller, client_ip(request)
    )
    return await _out(request, fu)


@router.post(
    "/api/v1/hall/follow-ups/{fu_id}/assign",
    response_model=FollowUpOut,
    responses=error_responses(400, 413, described={**_NOT_FOUND, 409: "the follow-up is closed"}),
)
async def assign_follow_up(
    caller: FollowUpWriter, request: Request, fu_id: FollowUpId, body: AssignIn
) -> FollowUpOut:
    """Name who handles it (empty: nobody); audited."""
    fu = await ratings_of(request).follow_ups.assign(
        int(fu_id), body.assignee.strip(), caller, client_ip(request)
    )
    return await _out(request, fu)
