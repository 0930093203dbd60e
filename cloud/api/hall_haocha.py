"""Forwarding ratings to the provincial 好差评 platform, as operators see it (docs/haocha.md).

``GET /api/v1/hall/ratings/forwarding?site=`` counts a site subtree's ratings by forwarding
state, with the oldest one still waiting, the last error and the refused ones;
``POST /api/v1/hall/ratings/{rating_id}/forward`` sends a refused (or waiting) rating again
now — after the cause was fixed — and is audited.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel
from sqlalchemy import func, select

from cloud import audit
from cloud.api.alerts import in_subtree
from cloud.api.auth_deps import check_site, client_ip, require, scope_of
from cloud.api.deps import SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.auth.principal import Principal
from cloud.db.hall import HallRating
from cloud.db.models import Site, utcnow
from cloud.errors import Conflict, NotFound
from cloud.hall.haocha import store
from cloud.hall.haocha.forwarder import Forwarder
from fleet.access import Permission

router = APIRouter(
    prefix="/api/v1/hall/ratings", tags=["hall"], responses=error_responses(401, 403, 422, 500)
)
HallReader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
FollowUp = Annotated[Principal, Depends(require(Permission.RATINGS_FOLLOW_UP))]
RatingId = Annotated[str, Path(pattern=r"^[1-9][0-9]{0,8}$", description="a rating's id")]
#: refused ratings listed at most (newest first)
REFUSED_SHOWN = 50


class RefusedOut(BaseModel):
    id: int
    site: str
    window_no: str
    staff_no: str
    level: int | None
    rated_at: datetime
    attempts: int
    error: str


class ForwardingOut(BaseModel):
    site: str
    #: False: KFLEET_HAOCHA_URL is not set, nothing is forwarded and ratings stay pending
    enabled: bool
    counts: dict[str, int]
    oldest_pending_at: datetime | None
    oldest_pending_age_s: float | None
    #: the newest error of a rating still waiting (the platform down, our credentials refused)
    last_error: str
    #: since when every submit of this cloud instance failed (None: the last one went through)
    failing_since: datetime | None
    refused: list[RefusedOut]


class ForwardOut(BaseModel):
    id: int
    site: str
    fwd_state: str
    fwd_attempts: int
    fwd_error: str
    fwd_ref: str


def _forwarder(request: Request) -> Forwarder | None:
    found: Forwarder | None = request.app.state.parts.hall.haocha
    return found


@router.get(
    "/forwarding",
    response_model=ForwardingOut,
    summary="Forwarding to the provincial 好差评 platform: counts, oldest waiting, errors",
    responses=error_responses(described={404: "no such site (or outside your scope)"}),
)
async def forwarding(
    caller: HallReader, sessions: SessionsDep, request: Request, site: SiteQuery = None
) -> ForwardingOut:
    path = site or scope_of(caller)
    check_site(caller, path, f"site {path}")
    inside = in_subtree(Site.path, path)
    rows = select(HallRating).join(Site, Site.id == HallRating.site_id).where(inside)
    async with sessions() as s:
        if site is not None and await s.scalar(select(Site.id).where(Site.path == site)) is None:
            raise NotFound(f"site {site} not found")  # the same answer as outside the scope
        counts = dict.fromkeys((store.PENDING, store.SENT, store.REFUSED, store.SKIP), 0)
        grouped = (
            select(HallRating.fwd_state, func.count())
            .join(Site, Site.id == HallRating.site_id)
            .where(inside)
        )
        for state, n in (await s.execute(grouped.group_by(HallRating.fwd_state))).all():
            counts[str(state)] = int(n)
        waiting = rows.where(HallRating.fwd_state == store.PENDING)
        oldest = await s.scalar(
            select(func.min(HallRating.rated_at))
            .join(Site, Site.id == HallRating.site_id)
            .where(inside, HallRating.fwd_state == store.PENDING)
        )
        last = await s.scalar(
            waiting.where(HallRating.fwd_error != "").order_by(HallRating.fwd_next_at.desc())
        )
        refused = await s.execute(
            select(HallRating, Site.path)
            .join(Site, Site.id == HallRating.site_id)
            .where(inside, HallRating.fwd_state == store.REFUSED)
            .order_by(HallRating.rated_at.desc())
            .limit(REFUSED_SHOWN)
        )
        refused_out = [_refused(r, p) for r, p in refused.all()]
    fwd = _forwarder(request)
    return ForwardingOut(
        site=path,
        enabled=fwd is not None and fwd.enabled,
        counts=counts,
        oldest_pending_at=oldest,
        oldest_pending_age_s=(utcnow() - oldest).total_seconds() if oldest else None,
        last_error=last.fwd_error if last is not None else "",
        failing_since=fwd.stats.failing_since if fwd is not None else None,
        refused=refused_out,
    )


def _refused(r: HallRating, site: str) -> RefusedOut:
    return RefusedOut(
        id=r.id,
        site=site,
        window_no=r.window_no,
        staff_no=r.staff_no,
        level=r.level,
        rated_at=r.rated_at,
        attempts=r.fwd_attempts,
        error=r.fwd_error,
    )


@router.post(
    "/{rating_id}/forward",
    response_model=ForwardOut,
    summary="Send a refused (or waiting) rating to the provincial platform again, now",
    responses=error_responses(
        described={
            404: "no such rating (or outside your scope)",
            409: "the rating was sent already, or has nothing to send",
        }
    ),
)
async def forward(
    caller: FollowUp, sessions: SessionsDep, request: Request, rating_id: RatingId
) -> ForwardOut:
    async with sessions() as s:
        found = (
            await s.execute(
                select(HallRating, Site.path)
                .join(Site, Site.id == HallRating.site_id)
                .where(HallRating.id == int(rating_id))
            )
        ).first()
        if found is None or not caller.sees(found[1]):
            raise NotFound(f"rating {rating_id} not found (or outside your scope)")
        row, site = found
        _check_forwardable(row)
        before = {"fwd_state": row.fwd_state, "fwd_error": row.fwd_error}
        row.fwd_state, row.fwd_next_at, row.fwd_error = store.PENDING, None, ""
        audit.add(s, _record(caller, request, row, site, before))
        await s.commit()
    fwd = _forwarder(request)
    if fwd is not None:
        fwd.wake()
    return ForwardOut(
        id=row.id,
        site=site,
        fwd_state=row.fwd_state,
        fwd_attempts=row.fwd_attempts,
        fwd_error=row.fwd_error,
        fwd_ref=row.fwd_ref,
    )


def _check_forwardable(row: HallRating) -> None:
    if row.fwd_state == store.SENT:
        raise Conflict(
            f"rating {row.id} was accepted by the provincial platform already as {row.fwd_ref}; "
            "there is nothing to send again"
        )
    if row.fwd_state == store.SKIP or row.level is None:
        raise Conflict(
            f"rating {row.id} holds no rating ({row.outcome}): there is nothing to forward"
        )


def _record(
    caller: Principal, request: Request, row: HallRating, site: str, before: dict[str, str]
) -> audit.AuditRecord:
    return audit.AuditRecord(
        caller.actor,
        "rating.forward",
        audit.Result.OK,
        f"hall_rating:{row.id}",
        site,
        client_ip(request),
        f"rating {row.id} queued for the provincial platform again",
        {"before": before, "after": {"fwd_state": store.PENDING}},
    )
