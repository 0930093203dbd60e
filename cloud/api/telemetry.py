"""``/api/v1/telemetry``: series over a time range, the newest values, the metric names.

Every route needs ``devices.read`` and answers only about the caller's site subtree: a device
outside it is 404 (as everywhere), a ``site`` beyond it narrows to what the caller may see,
and points a device sent while it stood at a site outside the caller's scope are left out.
Series come from the store ``tsdb_url`` names (``cloud.telemetry.stores``); when it cannot
answer, 503 ``store_unavailable``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field, StringConstraints
from sqlalchemy import select

from cloud.api.auth_deps import scope_of
from cloud.api.callers import DevicesReader, SystemReader
from cloud.api.deps import DeviceQuery, SessionsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.auth.principal import Principal
from cloud.db import devices as device_repo
from cloud.db.telemetry_latest import TeleLatest
from cloud.errors import CloudError
from cloud.telemetry.latest import latest_values
from cloud.telemetry.model import Agg, SeriesQuery, StoreUnavailable, default_agg
from cloud.telemetry.pipeline import TelemetryPipeline
from cloud.telemetry.sql_query import normal_step
from cloud.telemetry.store import TelemetryStore
from fleet.access import in_scope
from protocols.envelope import wall_ms

router = APIRouter(
    prefix="/api/v1/telemetry",
    tags=["telemetry"],
    responses=error_responses(401, 403, 422, 500),
)

NAME_PATTERN = r"^[a-z][a-z0-9_.]{0,63}$"
TAG_PATTERN = r"^[a-z0-9_.]{1,64}:[^\x00-\x1f]{1,64}$"
GROUP_PATTERN = r"^([a-z0-9_.]{1,64}(,[a-z0-9_.]{1,64}){0,7})?$"
#: most steps one series may have (a year at 1 hour is 8760); a finer step is widened
MAX_STEPS = 11_000
DAY_MS = 24 * 3600 * 1000
#: 9999-12-31T23:59:59.999Z: later "ms" are a mistake (and would overflow the database's
#: 64-bit integers)
MAX_MS = 253_402_300_799_999
#: the default step: the finest of these giving at most :data:`AUTO_POINTS` steps
AUTO_STEPS = (10, 30, 60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 86400)
AUTO_POINTS = 500


class TelemetryUnavailable(CloudError):
    status_code = 503
    code = "store_unavailable"


class SeriesOut(BaseModel):
    name: str
    labels: dict[str, str]
    #: ``[step start ms, value]``, oldest first; a step without points is absent
    points: list[tuple[int, float]]


class SeriesPage(BaseModel):
    series: list[SeriesOut]
    #: the step (s) the points are in (fine steps as asked; 5 minutes and up in whole rollups)
    step: int
    #: how each step's points were combined (as asked, or the metric's default)
    agg: Agg


class LatestOut(BaseModel):
    device: str
    name: str
    tags: dict[str, str]
    site: str
    value: float
    ts_ms: int


class LatestPage(BaseModel):
    values: list[LatestOut]


class NamesOut(BaseModel):
    names: list[str]


async def _pipeline(request: Request) -> TelemetryPipeline:
    pipeline: TelemetryPipeline = request.app.state.parts.telemetry
    return pipeline


async def _store(request: Request) -> TelemetryStore:
    store: TelemetryStore = request.app.state.parts.telemetry.store  # the one ingest writes
    return store


TagText = Annotated[str, StringConstraints(pattern=TAG_PATTERN)]
NameText = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]
StoreDep = Annotated[TelemetryStore, Depends(_store)]
#: Unix ms, or ISO 8601 with a zone (naive times are refused: whose clock would they be?)
_NUMBER = re.compile(r"\s*[+-]?[0-9.]+([eE][+-]?[0-9]+)?\s*")


def _no_number(value: object) -> object:
    """A number is Unix ms (the integer branch); pydantic would read "-1" as a datetime in
    seconds, which the schema (``format: date-time``) does not allow."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("a time given as a number is Unix milliseconds, 0 or more")
    return value


TimeQuery = Annotated[
    Annotated[int, Field(ge=0, le=MAX_MS)]
    | Annotated[AwareDatetime, BeforeValidator(_no_number)]
    | None,
    Query(description="Unix milliseconds, or ISO 8601 with a zone (2026-12-01T08:00:00+08:00)"),
]


def parse_time(value: int | datetime | None, default_ms: int) -> int:
    """Unix ms of ``value``; ``default_ms`` if absent. A time before 1970 or after the year
    9999 is clamped to that end: no point lies beyond either (the answer is the same)."""
    if value is None:
        return default_ms
    if isinstance(value, int):
        return value
    try:
        return max(0, min(MAX_MS, int(value.timestamp() * 1000)))
    except (OverflowError, OSError, ValueError):
        return 0 if value.year < 5000 else MAX_MS


def auto_step(span_ms: int) -> int:
    for step in AUTO_STEPS:
        if span_ms / (step * 1000) <= AUTO_POINTS:
            return step
    return AUTO_STEPS[-1]


def _tags(tag: list[str]) -> dict[str, str]:
    return dict(t.split(":", 1) for t in tag)


async def _where(
    sessions: SessionsDep, caller: Principal, device: str | None, site: str | None
) -> str | None:
    """The subtree the answer may cover (None: nothing the caller may see); 404 for a
    device the caller may not see."""
    scope = scope_of(caller)
    if device is not None:
        async with sessions() as s:
            found = await device_repo.require(s, device)
            if not caller.sees(await device_repo.site_path(s, found.site_id)):
                raise device_repo.not_found(device)
    if site is None or in_scope(scope, site):
        return site or scope
    return scope if in_scope(site, scope) else None


@router.get(
    "/series",
    response_model=SeriesPage,
    responses=error_responses(
        described={
            404: "no such device (or outside your scope)",
            422: "invalid parameters (validation_error)",
            503: "the telemetry store cannot answer (down or refusing); retry later",
        }
    ),
)
async def series(
    caller: DevicesReader,
    sessions: SessionsDep,
    store: StoreDep,
    name: Annotated[str, Query(pattern=NAME_PATTERN, description="a metric name")],
    device: DeviceQuery = None,
    site: SiteQuery = None,
    start: TimeQuery = None,
    end: TimeQuery = None,
    step: Annotated[int | None, Query(ge=1, le=31 * 86400, description="seconds")] = None,
    agg: Annotated[
        Agg | None,
        Query(description="default: max for health/paper codes, last for counters, else avg"),
    ] = None,
    tag: Annotated[list[TagText], Query(max_length=8, description="k:v")] = [],  # noqa: B006
    group_by: Annotated[str | None, Query(pattern=GROUP_PATTERN)] = None,
) -> SeriesPage:
    """One metric of one device or a site subtree (default: your whole scope) over
    ``[start, end)`` (default: the last 24 h), in steps of ``step`` seconds combined by
    ``agg``; ``tag=k:v`` narrows, ``group_by=a,b`` merges series by those tags."""
    end_ms = parse_time(end, wall_ms())
    start_ms = parse_time(start, end_ms - DAY_MS)
    span_ms = max(0, end_ms - start_ms)
    wanted = step if step is not None else auto_step(span_ms)
    step_s = normal_step(max(wanted, -(-span_ms // (MAX_STEPS * 1000))))  # widened to fit
    how = agg if agg is not None else default_agg(name)
    where = await _where(sessions, caller, device, site)
    if where is None or start_ms >= end_ms:
        return SeriesPage(series=[], step=step_s, agg=how)
    groups = tuple(g for g in group_by.split(",") if g) if group_by is not None else None
    q = SeriesQuery(name, start_ms, end_ms, step_s, how, device, where, _tags(tag), groups)
    try:
        found = await store.query(q)
    except StoreUnavailable as err:
        raise TelemetryUnavailable(str(err)) from err
    out = [SeriesOut(name=s.name, labels=dict(s.labels), points=s.points) for s in found]
    return SeriesPage(series=out, step=step_s, agg=how)


@router.get(
    "/latest",
    response_model=LatestPage,
    responses=error_responses(described={404: "no such device (or outside your scope)"}),
)
async def latest(
    caller: DevicesReader,
    sessions: SessionsDep,
    device: DeviceQuery = None,
    site: SiteQuery = None,
    name: Annotated[list[NameText], Query(max_length=32)] = [],  # noqa: B006
) -> LatestPage:
    """The newest value of each series of one device or a site subtree (default: your
    scope), optionally only the metrics ``name`` (repeatable)."""
    where = await _where(sessions, caller, device, site)
    if where is None:
        return LatestPage(values=[])
    async with sessions() as s:
        rows = await latest_values(s, device=device, site=where, names=name or None)
    return LatestPage(
        values=[
            LatestOut(
                device=r.device_id,
                name=r.name,
                tags=dict(r.tags),
                site=r.site,
                value=r.value,
                ts_ms=r.ts_ms,
            )
            for r in rows
        ]
    )


@router.get("/names", response_model=NamesOut)
async def names(caller: DevicesReader, sessions: SessionsDep) -> NamesOut:
    """The metric names devices in your scope have sent (newest values kept)."""
    scope = scope_of(caller)
    inside = (TeleLatest.site == scope) | TeleLatest.site.startswith(scope + "/", autoescape=True)
    async with sessions() as s:
        rows = await s.scalars(
            select(TeleLatest.name).distinct().where(inside).order_by(TeleLatest.name)
        )
        return NamesOut(names=list(rows.all()))


@router.get("/stats")
async def stats(
    _caller: SystemReader, pipeline: Annotated[TelemetryPipeline, Depends(_pipeline)]
) -> dict[str, Any]:
    """Ingest's counters since the process started (``system.read``): points accepted,
    written, buffered and dropped, store failures, and refused points by reason."""
    return pipeline.stats()
