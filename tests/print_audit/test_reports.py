"""The audit read back: by period and kind in the halls' time zone, in a site subtree only the
caller may see, exported as CSV and as an Excel workbook with the same rows."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from cloud.db.models import JobEvent
from fleet.access import PersonRole
from tests.print_audit.kit import HHL, TGLS, TICKET, AuditEnv, audit_env, pdf_of

BASE = "/api/v1/print-audit"


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str, uid: str) -> AsyncIterator[AuditEnv]:
    async with audit_env(tmp_path, amqtt_url, uid) as e:
        yield e


async def _three_days(env: AuditEnv) -> None:
    """HHL: a 2-page guide on 2026-03-02 (Mon) 23:30 Beijing, a ticket on 03-09 (Mon) 00:10;
    TGLS: a ticket on 04-01. The jobs' success is dated so before the recorder reads it."""
    doc = await env.blob(pdf_of(2))
    guide = await env.printed(env.hhl, "print_document", {"document": doc}, "guide")
    ticket = await env.printed(env.hhl, "print_receipt", TICKET, "ticket")
    far = await env.printed(env.tgls, "print_receipt", TICKET, "ticket")
    at = {
        guide: datetime(2026, 3, 2, 15, 30, tzinfo=UTC),  # 23:30 in Beijing
        ticket: datetime(2026, 3, 8, 16, 10, tzinfo=UTC),  # 00:10 on Monday 03-09 in Beijing
        far: datetime(2026, 4, 1, 2, 0, tzinfo=UTC),
    }
    async with env.parts.sessions() as s:
        for job_id, when in at.items():
            await s.execute(
                update(JobEvent)
                .where(JobEvent.job_id == job_id, JobEvent.to_state == "succeeded")
                .values(at=when)
            )
        await s.commit()
    assert await env.audit.record_pending() == 3


SPRING = {"start": "2026-03-01T00:00:00+08:00", "end": "2026-05-01T00:00:00+08:00"}


async def test_the_report_counts_days_weeks_and_months_in_local_time(env: AuditEnv) -> None:
    await _three_days(env)
    day = (await env.admin.get(f"{BASE}/report", params={**SPRING, "site": HHL})).json()
    assert [(r["period"], r["kind"], r["jobs"], r["pages"]) for r in day["rows"]] == [
        ("2026-03-02", "guide", 1, 2),
        ("2026-03-09", "ticket", 1, 1),
    ]
    assert (day["jobs"], day["pages"], day["timezone"]) == (2, 3, "Asia/Shanghai")
    week = (await env.admin.get(f"{BASE}/report", params={**SPRING, "period": "week"})).json()
    assert [(r["period"], r["kind"], r["jobs"]) for r in week["rows"]] == [
        ("2026-03-02", "guide", 1),
        ("2026-03-09", "ticket", 1),
        ("2026-03-30", "ticket", 1),
    ]
    month = (await env.admin.get(f"{BASE}/report", params={**SPRING, "period": "month"})).json()
    assert [(r["period"], r["kind"], r["jobs"]) for r in month["rows"]] == [
        ("2026-03-01", "guide", 1),
        ("2026-03-01", "ticket", 1),
        ("2026-04-01", "ticket", 1),
    ]
    assert {k["kind"]: k["jobs"] for k in month["by_kind"]} == {"guide": 1, "ticket": 2}


async def test_records_page_by_id_and_filter_by_kind(env: AuditEnv) -> None:
    await _three_days(env)
    first = (await env.admin.get(f"{BASE}/records", params={**SPRING, "limit": 2})).json()
    assert len(first["rows"]) == 2 and first["next_before_id"] is not None
    rest = await env.admin.get(
        f"{BASE}/records", params={**SPRING, "limit": 2, "before_id": first["next_before_id"]}
    )
    assert len(rest.json()["rows"]) == 1 and rest.json()["next_before_id"] is None
    guides = (await env.admin.get(f"{BASE}/records", params={**SPRING, "kind": "guide"})).json()
    assert [r["kind"] for r in guides["rows"]] == ["guide"]
    bad = await env.admin.get(f"{BASE}/records", params={"kind": "poster"})
    assert bad.status_code == 422


async def test_a_caller_sees_only_their_subtree(env: AuditEnv) -> None:
    await _three_days(env)
    tgls = await env.cloud.as_role(PersonRole.AUDITOR, scope=TGLS)
    mine = (await tgls.get(f"{BASE}/records", params=SPRING)).json()
    assert [r["site"] for r in mine["rows"]] == [TGLS]
    assert (await tgls.get(f"{BASE}/records", params={"site": HHL})).status_code == 404
    hhl_row = (await env.admin.get(f"{BASE}/records", params={**SPRING, "site": HHL})).json()
    other = await tgls.get(f"{BASE}/records/{hhl_row['rows'][0]['id']}/content")
    assert other.status_code == 404
    operator = await env.cloud.as_role(PersonRole.OPERATOR)
    assert (await operator.get(f"{BASE}/records")).status_code == 403  # audit.read only


async def test_csv_and_excel_hold_the_same_rows(env: AuditEnv) -> None:
    await _three_days(env)
    r = await env.admin.get(f"{BASE}/export.csv", params=SPRING)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "print-audit_qh_20260301_20260501.csv" in r.headers["content-disposition"]
    text = r.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [(x["time"], x["kind"], x["pages"]) for x in rows] == [
        ("2026-03-02T23:30:00+08:00", "guide", "2"),
        ("2026-03-09T00:10:00+08:00", "ticket", "1"),
        ("2026-04-01T10:00:00+08:00", "ticket", "1"),
    ]
    x = await env.admin.get(f"{BASE}/export.xlsx", params=SPRING)
    assert x.status_code == 200
    book = load_workbook(io.BytesIO(x.content), read_only=True)
    records = list(book["记录"].values)
    assert records[1][0] == "时间" and len(records) == 2 + 3
    assert [(r[0], r[3], r[5], r[6]) for r in records[2:]] == [
        (row["time"], row["kind"], int(row["pages"]), row["sha256"]) for row in rows
    ]
    exports = await env.cloud.audit_rows("print_audit.export")
    assert [e.message.split(",")[0] for e in exports] == [
        "CSV of 2026-02-28T16:00:00+00:00 – 2026-04-30T16:00:00+00:00",
        "Excel",
    ]
    report = list(book["报表"].values)
    assert report[1:] == [
        ("2026-03-02", "guide", 1, 2),
        ("2026-03-09", "ticket", 1, 1),
        ("2026-04-01", "ticket", 1, 1),
    ]


async def test_an_empty_or_backwards_period_counts_nothing(env: AuditEnv) -> None:
    await _three_days(env)
    future = datetime.now(UTC) + timedelta(days=1)
    back = {"start": future.isoformat(), "end": (future - timedelta(days=2)).isoformat()}
    assert (await env.admin.get(f"{BASE}/report", params=back)).json()["jobs"] == 0
    assert (await env.admin.get(f"{BASE}/records", params=back)).json()["rows"] == []


async def test_a_period_cut_inside_days_counts_only_its_hours(env: AuditEnv) -> None:
    await _three_days(env)
    # from 03-02 23:00 to 03-09 00:05 Beijing: the guide (23:30) in, the ticket (00:10) out
    cut = {"start": "2026-03-02T23:00:00+08:00", "end": "2026-03-09T00:05:00+08:00"}
    r = (await env.admin.get(f"{BASE}/report", params=cut)).json()
    assert [(x["period"], x["kind"], x["jobs"]) for x in r["rows"]] == [("2026-03-02", "guide", 1)]
    late = {"start": "2026-03-02T23:45:00+08:00", "end": "2026-04-01T10:00:00+08:00"}
    r = (await env.admin.get(f"{BASE}/report", params=late)).json()
    assert [(x["period"], x["kind"]) for x in r["rows"]] == [("2026-03-09", "ticket")]
    by_device = {**SPRING, "device": env.hhl.device_id}
    r = (await env.admin.get(f"{BASE}/report", params=by_device)).json()
    assert r["jobs"] == 2  # a device's report comes from the records
