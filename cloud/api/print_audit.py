"""``/api/v1/print-audit/...``: the print/copy audit (统一扎口) for auditors — the records of a
period in a site subtree, the report by day/week/month and kind, CSV and Excel exports, and
a record's content while it is kept. Needs ``audit.read``; a site outside the caller's scope
does not exist for them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel

from cloud import audit as operator_audit
from cloud.api.audit import IsoTime
from cloud.api.auth_deps import check_site, client_ip, require, scope_of
from cloud.api.deps import DeviceQuery, SessionsDep, SettingsDep, SiteQuery
from cloud.api.errors import error_responses
from cloud.api.kiosk_deps import KioskParts
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.errors import NotFound, Unprocessable
from cloud.print_audit import PrintAudit
from cloud.print_audit_export import MAX_XLSX_ROWS, csv_chunks, export_name, xlsx_bytes
from cloud.print_audit_query import Filter, Period, all_records, count, records, report
from cloud.print_audit_tables import PrintAuditRow
from cloud.schemas import PrintPurpose
from fleet.access import Permission

router = APIRouter(
    prefix="/api/v1/print-audit",
    tags=["print-audit"],
    responses=error_responses(401, 403, 404, 422, 500),
    route_class=StrictJsonRoute,
)
Auditor = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]
MAX_SPAN = timedelta(days=366)
DEFAULT_SPAN = timedelta(days=30)


class ExportTooLarge(Unprocessable):
    code = "export_too_large"


class RecordOut(BaseModel):
    id: int
    job_id: str
    at: datetime
    device_id: str
    site: str
    #: the print purpose (certificate, form, guide, copy, receipt, ticket, query, ...)
    kind: str
    #: print_receipt, print_document or copy
    job_kind: str
    pages: int
    sha256: str
    #: the content is still kept (``GET .../records/{id}/content``)
    content_kept: bool
    content_type: str


class RecordsOut(BaseModel):
    site: str
    start: datetime
    end: datetime
    rows: list[RecordOut]
    #: pass as ``before_id`` for the next page; None on the last page
    next_before_id: int | None


class ReportRowOut(BaseModel):
    #: first day of the period (a week starts on Monday) in the report's time zone
    period: str
    kind: str
    jobs: int
    pages: int


class KindTotal(BaseModel):
    kind: str
    jobs: int
    pages: int


class ReportOut(BaseModel):
    site: str
    start: datetime
    end: datetime
    period: str
    timezone: str
    jobs: int
    pages: int
    rows: list[ReportRowOut]
    by_kind: list[KindTotal]


async def _audit(kiosk: KioskParts) -> PrintAudit:
    if kiosk.print_audit is None:  # built with every app; a test may leave it out
        raise NotFound("the print audit is not part of this cloud")
    return kiosk.print_audit


AuditDep = Annotated[PrintAudit, Depends(_audit)]


async def _log(
    sessions: SessionsDep,
    caller: Principal,
    request: Request,
    action: str,
    site: str,
    message: str,
    ok: bool = True,
) -> None:
    """Who exported the print audit or opened a printed content: the operator audit log
    (docs/audit.md) keeps it — reading the reports is not recorded, taking content away is."""
    await operator_audit.write(
        sessions,
        operator_audit.AuditRecord(
            actor=caller.actor,
            action=action,
            result=operator_audit.Result.OK if ok else operator_audit.Result.FAILED,
            target="print_audit",
            site=site,
            ip=client_ip(request),
            message=message,
        ),
    )


Start = Annotated[IsoTime | None, Query(description="ISO 8601 with a zone; inclusive")]
End = Annotated[IsoTime | None, Query(description="ISO 8601 with a zone; exclusive")]
Kind = Annotated[PrintPurpose | None, Query(description="only this print purpose")]


async def _filter(
    caller: Auditor,
    site: SiteQuery = None,
    start: Start = None,
    end: End = None,
    kind: Kind = None,
    device: DeviceQuery = None,
) -> Filter:
    """The rows asked for, in the caller's scope; the period defaults to the last 30 days and
    is cut to the 366 days before its end (the answer's ``start`` says so)."""
    scope = site or scope_of(caller)
    check_site(caller, scope, f"site {scope}")
    until = (end or datetime.now(UTC)).astimezone(UTC)
    since = (start or until - DEFAULT_SPAN).astimezone(UTC)
    return Filter(scope, max(since, until - MAX_SPAN), until, kind, device)


FilterDep = Annotated[Filter, Depends(_filter)]


def _out(row: PrintAuditRow) -> RecordOut:
    return RecordOut(
        id=row.id,
        job_id=row.job_id,
        at=row.at,
        device_id=row.device_id,
        site=row.site,
        kind=row.purpose,
        job_kind=row.job_kind,
        pages=row.pages,
        sha256=row.sha256,
        content_kept=row.content_sha256 is not None,
        content_type=row.content_type,
    )


@router.get("/records", response_model=RecordsOut)
async def list_records(
    f: FilterDep,
    sessions: SessionsDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> RecordsOut:
    """Printed and copied jobs in ``[start, end)`` at sites of ``site``'s subtree, newest first."""
    rows: list[PrintAuditRow] = []
    if f.start < f.end:
        async with sessions() as s:
            rows = await records(s, f, limit + 1, before_id)
    more = len(rows) > limit
    rows = rows[:limit]
    return RecordsOut(
        site=f.scope,
        start=f.start,
        end=f.end,
        rows=[_out(r) for r in rows],
        next_before_id=rows[-1].id if more else None,
    )


@router.get("/report", response_model=ReportOut)
async def get_report(
    f: FilterDep,
    sessions: SessionsDep,
    settings: SettingsDep,
    period: Annotated[Period, Query(description="day, week (from Monday) or month")] = "day",
) -> ReportOut:
    """Jobs and pages per period and kind, in the halls' time zone (``print_audit_timezone``)."""
    tz = ZoneInfo(settings.print_audit_timezone)
    rows = []
    if f.start < f.end:
        async with sessions() as s:
            rows = await report(s, f, period, tz)
    kinds: dict[str, KindTotal] = {}
    for r in rows:
        total = kinds.setdefault(r.purpose, KindTotal(kind=r.purpose, jobs=0, pages=0))
        total.jobs += r.jobs
        total.pages += r.pages
    return ReportOut(
        site=f.scope,
        start=f.start,
        end=f.end,
        period=period,
        timezone=tz.key,
        jobs=sum(r.jobs for r in rows),
        pages=sum(r.pages for r in rows),
        rows=[
            ReportRowOut(period=r.period.isoformat(), kind=r.purpose, jobs=r.jobs, pages=r.pages)
            for r in rows
        ],
        by_kind=sorted(kinds.values(), key=lambda k: k.kind),
    )


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "the records as CSV"}},
)
async def export_csv(
    f: FilterDep,
    caller: Auditor,
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> Response:
    """The records of the filter as CSV (UTF-8 with BOM), oldest first, times in local time."""
    tz = ZoneInfo(settings.print_audit_timezone)
    span = f"{f.start.isoformat()} – {f.end.isoformat()}"
    await _log(sessions, caller, request, "print_audit.export", f.scope, f"CSV of {span}")

    async def body() -> AsyncIterator[str]:
        async with sessions() as s:
            async for chunk in csv_chunks(all_records(s, f), tz):
                yield chunk

    name = export_name(f.scope, f.start, f.end, tz, "csv")
    return StreamingResponse(
        body(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/export.xlsx",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "the records and the daily report"},
        **error_responses(422, described={422: "bad input, or more rows than a workbook takes"}),
    },
)
async def export_xlsx(
    f: FilterDep,
    caller: Auditor,
    request: Request,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> Response:
    """The records (sheet 记录) and the daily report (sheet 报表) as an Excel workbook."""
    tz = ZoneInfo(settings.print_audit_timezone)
    async with sessions() as s:
        n = await count(s, f)
    if n > MAX_XLSX_ROWS:
        msg = (
            f"the period holds {n} records, more than the {MAX_XLSX_ROWS} one workbook "
            "export takes: narrow start/end, site or kind, or export CSV"
        )
        await _log(sessions, caller, request, "print_audit.export", f.scope, msg, ok=False)
        raise ExportTooLarge(msg)
    span = f"{f.start.isoformat()} – {f.end.isoformat()}"
    await _log(sessions, caller, request, "print_audit.export", f.scope, f"Excel, {n} rows, {span}")
    async with sessions() as s:
        daily = await report(s, f, "day", tz)
        title = f"打印复印审计 {f.scope} {f.start.astimezone(tz):%Y-%m-%d %H:%M} – " + (
            f"{f.end.astimezone(tz):%Y-%m-%d %H:%M}"
        )
        data = await xlsx_bytes(all_records(s, f), daily, tz, title)
    name = export_name(f.scope, f.start, f.end, tz, "xlsx")
    return Response(
        data, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(
    "/records/{record_id}/content",
    response_class=FileResponse,
    responses={200: {"content": {"application/pdf": {}, "application/json": {}}}},
)
async def record_content(
    caller: Auditor,
    request: Request,
    record_id: Annotated[str, Path(pattern=r"^[1-9][0-9]{0,17}$", description="a record id")],
    sessions: SessionsDep,
    audit: AuditDep,
) -> FileResponse:
    """What the record's job printed, while retention keeps it (404 once it is deleted)."""
    async with sessions() as s:
        row = await s.get(PrintAuditRow, int(record_id))
    if row is None or not caller.sees(row.site):
        raise NotFound(f"print audit record {record_id} not found")
    if row.content_sha256 is None or not audit.has(row.content_sha256):
        raise NotFound(
            f"the content of record {record_id} is no longer kept (print_audit_content_days "
            f"is {audit.content_days}); its sha256 {row.sha256} is"
        )
    msg = f"content of record {record_id} (job {row.job_id}, {row.purpose})"
    await _log(sessions, caller, request, "print_audit.content", row.site, msg)
    return FileResponse(audit.path_of(row.content_sha256), media_type=row.content_type)
