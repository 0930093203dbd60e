"""``/api/v1/hall/ratings``: the 好差评 list and reports per window, staff, site or service
(JSON or CSV), and phone rating links. Reading needs ``hall.read``; everything is limited to
the caller's site subtree (a site outside it is a 404)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from cloud import audit
from cloud.api.auth_deps import client_ip, require, scope_of
from cloud.api.deps import SessionsDep, SettingsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.api.hall_ratings_schemas import (
    Outcome,
    PhoneLinkIn,
    PhoneLinkOut,
    RatingOut,
    RatingPage,
    Report,
    ReportRow,
    Source,
)
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.db import sites as site_repo
from cloud.db.hall import HallRating
from cloud.errors import NotFound
from cloud.hall import ratings_queries as q
from cloud.hall.ratings_service import Ratings
from cloud.hall.ratings_tokens import RatingGrant
from cloud.schemas import SITE_PATH_PATTERN
from fleet import ratings as rules
from fleet.access import Permission

router = APIRouter(
    tags=["hall ratings"],
    responses=error_responses(401, 403, 422, 500),
    route_class=StrictJsonRoute,
)
HallReader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
QueueOperator = Annotated[Principal, Depends(require(Permission.QUEUE_OPERATE))]
_SITE_404 = {404: "no such site (or outside your scope)"}
Start = Annotated[datetime | None, Query(description="from (inclusive), ISO 8601; naive is UTC")]
End = Annotated[datetime | None, Query(description="to (exclusive), ISO 8601; naive is UTC")]
WindowQ = Annotated[str | None, Query(pattern=r"^[0-9A-Za-z-]{1,8}$")]
StaffQ = Annotated[str | None, Query(pattern=r"^[0-9A-Za-z-]{1,16}$")]


def ratings_of(request: Request) -> Ratings:
    ratings: Ratings | None = request.app.state.parts.hall.ratings
    if ratings is None:  # built by cloud.wiring.build_hall in every app
        raise RuntimeError("the hall's ratings are not wired")
    return ratings


def _utc(at: datetime | None) -> datetime | None:
    return at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


def scope_for(caller: Principal, site: str | None) -> str:
    if site is None:
        return scope_of(caller)
    if not caller.sees(site):
        raise site_repo.not_found(site)
    return site


def rating_out(r: HallRating, site: str, follow_up: int | None = None) -> RatingOut:
    return RatingOut(
        id=r.id,
        site=site,
        source=r.source,
        outcome=r.outcome,
        level=r.level,
        level_name=rules.level(r.level).name_zh if r.level else "",
        reasons=list(r.reasons),
        comment=r.comment,
        ticket_id=r.ticket_id,
        ticket_no=r.ticket_no,
        case_no=r.case_no,
        window_no=r.window_no,
        staff_no=r.staff_no,
        service_code=r.service_code,
        device_id=r.device_id,
        asked_at=r.asked_at,
        rated_at=r.rated_at,
        fwd_state=r.fwd_state,
        follow_up_id=follow_up,
    )


@router.get(
    "/api/v1/hall/ratings",
    response_model=RatingPage,
    summary="Ratings in your scope, newest first",
    responses=error_responses(described=_SITE_404),
)
async def list_ratings(
    caller: HallReader,
    sessions: SessionsDep,
    site: SiteQuery = None,
    start: Start = None,
    end: End = None,
    window: WindowQ = None,
    staff: StaffQ = None,
    level: Annotated[int | None, Query(ge=1, le=5)] = None,
    source: Source | None = None,
    outcome: Outcome | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> RatingPage:
    f = q.Filter(
        scope_for(caller, site), _utc(start), _utc(end), window, staff, level, source, outcome
    )
    async with sessions() as s:
        rows = await q.page(s, f, limit + 1, cursor)
    items = [rating_out(r, path, fu) for r, path, fu in rows[:limit]]
    return RatingPage(items=items, next_cursor=items[-1].id if len(rows) > limit else None)


@router.get(
    "/api/v1/hall/ratings/report",
    response_model=Report,
    summary="Counts per level and satisfaction rate by window, staff, site or service",
    responses={
        **error_responses(described=_SITE_404),
        200: {"content": {"application/json": {}, "text/csv": {}}},
    },
)
async def ratings_report(
    caller: HallReader,
    sessions: SessionsDep,
    by: Literal["window", "staff", "site", "service"] = "window",
    site: SiteQuery = None,
    start: Start = None,
    end: End = None,
    format: Literal["json", "csv"] = "json",
) -> Report | Response:
    """Satisfaction rate = (非常满意 + 满意 + 基本满意) / rated; timed-out and abandoned
    requests are counted apart and never in the rate."""
    f = q.Filter(scope_for(caller, site), _utc(start), _utc(end))
    async with sessions() as s:
        rows, total = await q.report(s, f, by)
    if format == "csv":
        name = f"ratings-{by}.csv"
        return Response(
            q.to_csv(by, rows, total),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Report(
        by=by,
        site=f.scope,
        start=f.start,
        end=f.end,
        rows=[ReportRow(**r) for r in rows],
        total=ReportRow(**total),
    )


@router.post(
    "/api/v1/hall/ratings/phone-links",
    response_model=PhoneLinkOut,
    status_code=201,
    summary="A signed link (for a QR code) a citizen rates the service with on a phone",
    responses=error_responses(400, 413, described=_SITE_404),
)
async def phone_link(
    caller: QueueOperator,
    sessions: SessionsDep,
    settings: SettingsDep,
    request: Request,
    body: PhoneLinkIn,
    site: Annotated[str, Query(pattern=SITE_PATH_PATTERN, description="the site path")],
) -> PhoneLinkOut:
    """One link, one rating; it expires after ``hall_rating_token_ttl_s``."""
    scope_for(caller, site)
    async with sessions() as s:
        found = await site_repo.get_by_path(s, site)
        if found is None:
            raise NotFound(f"site {site} not found")
        grant = RatingGrant(
            site,
            body.ticket_no,
            body.ticket_id,
            body.window,
            body.staff_no,
            body.service,
            body.case_no,
        )
        token, full = ratings_of(request).tokens.issue(grant)
        audit.add(
            s,
            audit.AuditRecord(
                caller.actor,
                "rating.link",
                audit.Result.OK,
                f"ratinglink:{full.id}",
                site,
                client_ip(request),
                body.ticket_no,
                {"window": body.window},
            ),
        )
        await s.commit()
    base = settings.public_url.rstrip("/") or f"http://{settings.host}:{settings.port}"
    return PhoneLinkOut(
        token=token,
        path=f"/r/{token}",
        url=f"{base}/r/{token}",
        expires_at=datetime.fromtimestamp(full.exp, UTC),
    )
