"""``GET /api/v1/kiosk-stats/queries``: how the convenience queries were used over a period in
a site subtree — counts by query and outcome, never a person. Needs ``hall.read``."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from cloud.api.audit import IsoTime
from cloud.api.auth_deps import check_site, require, scope_of
from cloud.api.deps import SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.kiosk.queries_stats import usage
from fleet.access import Permission

router = APIRouter(
    tags=["kiosk-stats"],
    responses=error_responses(401, 403, 404, 422, 500),
    route_class=StrictJsonRoute,
)
HallReader = Annotated[Principal, Depends(require(Permission.HALL_READ))]
MAX_SPAN = timedelta(days=366)


class UsageRow(BaseModel):
    query: str
    department: str
    #: ok, printed, refused, timeout, maintenance, unavailable, failed, not_configured,
    #: identity, bad_input
    outcome: str
    count: int
    avg_ms: int


class UsageOut(BaseModel):
    site: str
    start: datetime
    end: datetime
    total: int
    rows: list[UsageRow]


@router.get("/api/v1/kiosk-stats/queries", response_model=UsageOut)
async def query_usage(
    caller: HallReader,
    sessions: SessionsDep,
    site: SiteQuery = None,
    start: Annotated[IsoTime | None, Query(description="ISO 8601 with a zone; inclusive")] = None,
    end: Annotated[IsoTime | None, Query(description="ISO 8601 with a zone; exclusive")] = None,
) -> UsageOut:
    """Counts by query and outcome at the kiosks of ``site`` (default: your scope) in
    ``[start, end)`` (default: the last 7 days). A period longer than 366 days is counted from
    366 days before its end (the answer's ``start`` says so); an empty period counts nothing."""
    scope = site or scope_of(caller)
    check_site(caller, scope, f"site {scope}")
    until = (end or datetime.now(UTC)).astimezone(UTC)
    since = (start or until - timedelta(days=7)).astimezone(UTC)
    since = max(since, until - MAX_SPAN)
    counts = []
    if since < until:
        async with sessions() as s:
            counts = await usage(s, scope, since, until)
    rows = [UsageRow(**asdict(c)) for c in counts]
    return UsageOut(site=scope, start=since, end=until, total=sum(r.count for r in rows), rows=rows)
