"""Reading the audit log: a JSON page with a cursor, and a CSV export of the same filters.

Both need ``audit.read`` and see only the reader's site subtree (:mod:`cloud.audit_query`).
There is no way to change or delete a row through the API (nor through the database: the
migration's triggers refuse it). An export is itself written to the log (``audit.export``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, BeforeValidator

from cloud import audit, audit_csv
from cloud import audit_query as q
from cloud.api.auth_deps import client_ip, require
from cloud.api.deps import SessionsDep, SettingsDep
from cloud.api.errors import error_responses
from cloud.auth.principal import Principal
from cloud.db.models import utcnow
from cloud.errors import Unprocessable
from cloud.schemas import SITE_PATH_PATTERN, ErrorBody
from fleet.access import Permission

router = APIRouter(
    prefix="/api/v1/audit",
    tags=["audit"],
    responses=error_responses(401, 403, 422, 500),
)


class ExportTooLarge(Unprocessable):
    code = "export_too_large"


Reader = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


class AuditRow(BaseModel):
    id: int
    at: datetime
    actor: str
    ip: str
    action: str
    target: str
    site: str
    result: str
    message: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditRow]
    #: pass as ``cursor`` for the next (older) page; null: no more rows
    next_cursor: int | None


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]")


def _iso_only(value: object) -> object:
    """Times as ISO 8601 text only (pydantic would also read ``0.5`` as Unix seconds)."""
    if isinstance(value, str) and not _ISO_DATE.match(value):
        raise ValueError(
            "use ISO 8601 with a date, a time and a zone, e.g. 2026-12-01T08:00:00+08:00"
        )
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]


def _utc(value: datetime | None) -> datetime | None:
    """In UTC; a time past either end of what UTC can hold (``0001-01-01T00:00+01:00``) is
    clamped to that end: no row lies beyond it, so the answer is the same."""
    if value is None:
        return None
    try:
        return value.astimezone(UTC)
    except OverflowError:
        edge = datetime.min if value.year < 5000 else datetime.max
        return edge.replace(tzinfo=UTC)


async def _filter(
    since: Annotated[
        IsoTime | None,
        Query(alias="from", description="ISO 8601 with a zone (Z or +08:00); inclusive"),
    ] = None,
    until: Annotated[
        IsoTime | None,
        Query(alias="to", description="ISO 8601 with a zone; exclusive"),
    ] = None,
    actor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=161,
            pattern=r"^[^\x00-\x1f]+$",
            description="exact (user:alice) or a prefix: user: or user:al*",
        ),
    ] = None,
    action: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9_.]{1,64}\*?$",
            description="exact (device.revoke) or a prefix: device. or device.*",
        ),
    ] = None,
    site: Annotated[
        str | None, Query(pattern=SITE_PATH_PATTERN, description="site path; with its subtree")
    ] = None,
    result: Annotated[Literal["ok", "denied", "failed"] | None, Query()] = None,
) -> q.AuditFilter:
    # from >= to is an empty range, not an error: it is a well-formed question (no rows)
    return q.AuditFilter(_utc(since), _utc(until), actor, action, site, result)


FilterDep = Annotated[q.AuditFilter, Depends(_filter)]


def _scope(caller: Principal) -> str:
    assert caller.scope is not None  # require() lets only people and tokens through
    return caller.scope


@router.get(
    "",
    response_model=AuditPage,
    summary="Audit log rows, newest first",
    responses={404: {"model": ErrorBody, "description": "the cursor names no audit row"}},
)
async def list_audit(
    caller: Reader,
    sessions: SessionsDep,
    f: FilterDep,
    limit: Annotated[int, Query(ge=1, le=q.MAX_PAGE, description="rows per page")] = (
        q.DEFAULT_PAGE
    ),
    cursor: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="next_cursor of the previous page")
    ] = None,
) -> AuditPage:
    async with sessions() as s:
        got = await q.page(s, f, _scope(caller), limit, cursor)
    return AuditPage(
        items=[AuditRow.model_validate(q.row_dict(r)) for r in got.rows],
        next_cursor=got.next_cursor,
    )


def _describe(f: q.AuditFilter) -> str:
    parts = [
        f"{name}={value.isoformat() if isinstance(value, datetime) else value}"
        for name, value in (
            ("from", f.since),
            ("to", f.until),
            ("actor", f.actor),
            ("action", f.action),
            ("site", f.site),
            ("result", f.result),
        )
        if value is not None
    ]
    return " ".join(parts) or "no filter"


async def _record_export(
    sessions: SessionsDep, caller: Principal, request: Request, f: q.AuditFilter, msg: str, ok: bool
) -> None:
    await audit.write(
        sessions,
        audit.AuditRecord(
            actor=caller.actor,
            action="audit.export",
            result=audit.Result.OK if ok else audit.Result.FAILED,
            target="audit_log",
            site=f.site or _scope(caller),
            ip=client_ip(request),
            message=msg,
            detail={"filter": _describe(f)},
        ),
    )


async def csv_chunks(
    sessions: SessionsDep, f: q.AuditFilter, scope: str, cap: int
) -> AsyncIterator[bytes]:
    """The export as UTF-8 chunks: the BOM and header, then the rows a batch at a time.

    The cap was checked before the first byte; should more rows match by the time they are
    read, the file stops at ``cap`` rows and its last line says so (a CSV cannot turn into an
    error once it has begun)."""
    yield audit_csv.header().encode()
    batch: list[list[str]] = []
    sent = 0
    async for row in q.stream(sessions, f, scope, cap + 1):
        if sent == cap:
            batch.append([audit_csv.safe_cell(_cut_short(cap))])
            break
        batch.append(audit_csv.row_cells(q.row_dict(row)))
        sent += 1
        if len(batch) >= q.EXPORT_BATCH:
            yield audit_csv.lines(batch).encode()
            batch = []
    if batch:
        yield audit_csv.lines(batch).encode()


def _cut_short(cap: int) -> str:
    return (
        f"export stopped at {cap} rows (KFLEET_AUDIT_EXPORT_MAX_ROWS); more rows match: "
        "narrow the filters and export again"
    )


@router.get(
    "/export.csv",
    summary="The audit log as CSV (UTF-8 with BOM), same filters, newest first",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the rows as CSV"}},
)
async def export_audit(
    caller: Reader, sessions: SessionsDep, settings: SettingsDep, request: Request, f: FilterDep
) -> StreamingResponse:
    now = utcnow()
    # pinned to now: the count and the stream see the same rows, however long the download
    f = q.AuditFilter(
        f.since, min(f.until, now) if f.until else now, f.actor, f.action, f.site, f.result
    )
    cap = settings.audit_export_max_rows
    async with sessions() as s:
        n = await q.count_upto(s, f, _scope(caller), cap + 1)
    if n > cap:
        msg = (
            f"the export matches more than {cap} rows, the most one export may hold "
            "(KFLEET_AUDIT_EXPORT_MAX_ROWS): narrow it with from/to, actor, action, site or "
            "result, and export the parts one by one"
        )
        await _record_export(sessions, caller, request, f, msg, ok=False)
        raise ExportTooLarge(msg)
    await _record_export(sessions, caller, request, f, f"exported {n} rows as CSV", ok=True)
    name = f"kfleet-audit-{now.strftime('%Y%m%dT%H%M%SZ')}.csv"
    return StreamingResponse(
        csv_chunks(sessions, f, _scope(caller), cap),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
