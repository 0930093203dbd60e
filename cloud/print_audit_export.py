"""The print/copy audit as files for an auditor: CSV (UTF-8 with a byte-order mark, CRLF, no
cell a spreadsheet would run: :func:`cloud.audit_csv.safe_cell`) and Excel (openpyxl, write-only:
rows are streamed into the workbook, not held as cell objects).

Times are the halls' local time with their offset (what the auditor compares with a paper's
printed time); the UTC instant stays exact.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from cloud.audit_csv import BOM, lines, safe_cell
from cloud.print_audit_query import ReportRow
from cloud.print_audit_tables import PrintAuditRow

COLUMNS = (
    "time",
    "device",
    "site",
    "kind",
    "job_kind",
    "pages",
    "sha256",
    "content_kept",
    "job_id",
)
#: the header's Chinese names (the Excel sheet's first row; the CSV keeps English names so a
#: script can read it)
COLUMNS_ZH = ("时间", "设备", "站点", "类别", "任务类型", "页数", "内容SHA-256", "内容保留", "任务")
REPORT_COLUMNS_ZH = ("时段起", "类别", "份数", "页数")
#: an Excel sheet holds 1,048,576 rows; beyond this the export asks for CSV
MAX_XLSX_ROWS = 200_000


def cells(row: PrintAuditRow, tz: ZoneInfo) -> list[str | int]:
    return [
        row.at.astimezone(tz).isoformat(timespec="seconds"),
        safe_cell(row.device_id),
        safe_cell(row.site),
        row.purpose,
        row.job_kind,
        row.pages,
        row.sha256,
        "yes" if row.content_sha256 else "no",
        safe_cell(row.job_id),
    ]


async def csv_chunks(rows: AsyncIterator[PrintAuditRow], tz: ZoneInfo) -> AsyncIterator[str]:
    """The CSV, one chunk per 500 rows (the first is the byte-order mark and the header)."""
    yield BOM + lines([list(COLUMNS)])
    batch: list[list[str]] = []
    async for row in rows:
        batch.append([str(c) for c in cells(row, tz)])
        if len(batch) == 500:
            yield lines(batch)
            batch = []
    if batch:
        yield lines(batch)


async def xlsx_bytes(
    rows: AsyncIterator[PrintAuditRow],
    report: Sequence[ReportRow],
    tz: ZoneInfo,
    title: str,
) -> bytes:
    """A workbook with the records (sheet 记录) and the report (sheet 报表)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("记录")
    sheet.append([title])
    sheet.append(list(COLUMNS_ZH))
    async for row in rows:
        sheet.append(cells(row, tz))
    summary = book.create_sheet("报表")
    summary.append(list(REPORT_COLUMNS_ZH))
    for r in report:
        summary.append([r.period.isoformat(), r.purpose, r.jobs, r.pages])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_name(scope: str, start: datetime, end: datetime, tz: ZoneInfo, ext: str) -> str:
    """``print-audit_<site>_<from>_<to>.<ext>`` (ASCII: a site path's slashes become dashes)."""
    site = scope.replace("/", "-") or "all"
    first = start.astimezone(tz).strftime("%Y%m%d")
    last = end.astimezone(tz).strftime("%Y%m%d")
    return f"print-audit_{site}_{first}_{last}.{ext}"
