"""GET /api/v1/audit/export.csv: UTF-8 with a BOM, a header row, Chinese intact, no cell a
spreadsheet would run as a formula, the same filters and subtree as the page, a row cap with
a message that says what to do, and every export written to the log as ``audit.export``."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cloud import audit_csv
from cloud.api.audit import csv_chunks
from cloud.audit_query import AuditFilter
from tests.audit.audit_db import Row, write_rows
from tests.audit.cloud_env import EXPORT_CAP, Env, audit_cloud

HHL = "qh/hx/golmud/hhl"
CHINESE = "格尔木市河西街道 1号自助终端已注销（打印机缺纸）"
#: what an attacker might put in a name or message; each must reach the sheet as text
FORMULAS = ['=HYPERLINK("http://x","点我")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\ry"]
HEADER = ["id", "time_utc", "actor", "ip", "action", "target", "site", "result", "message"]


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Env]:
    async with audit_cloud(tmp_path, mosquitto_url, HHL) as e:
        rows = [Row("user:alice", "auth.login", message=CHINESE)]
        rows += [Row(f"user:m{i}", "device.revoke", HHL, message=m) for i, m in enumerate(FORMULAS)]
        rows += [Row("=cmd|' /C calc'!A0", "job.create", "qh/hx/delingha", target="@x")]
        await write_rows(e.parts.sessions, rows)
        yield e


def parse(r: httpx.Response) -> list[list[str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith('attachment; filename="kfleet-audit-')
    assert r.content.startswith(b"\xef\xbb\xbf")  # the BOM, as bytes: Excel's cue for UTF-8
    text = r.content.decode("utf-8")[1:]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][: len(HEADER)] == HEADER and rows[0][-1] == "detail"
    return rows[1:]


async def test_bom_header_chinese_and_no_formulas(env: Env) -> None:
    rows = parse(await env.http.get("/api/v1/audit/export.csv", headers=env.auditor))
    assert len(rows) == 1 + len(FORMULAS) + 1
    assert rows[-1][8] == CHINESE  # oldest last; Chinese byte for byte
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    messages = {row[8] for row in rows}
    assert {"'" + f for f in FORMULAS} <= messages  # neutralised, not dropped
    assert rows[0][2] == "'=cmd|' /C calc'!A0" and rows[0][5] == "'@x"


async def test_export_applies_filters_and_the_readers_subtree(env: Env) -> None:
    params = {"action": "device.*", "to": "2026-12-01T08:00:04Z"}
    rows = parse(await env.http.get("/api/v1/audit/export.csv", headers=env.auditor, params=params))
    assert [r[2] for r in rows] == ["user:m2", "user:m1", "user:m0"]
    rows = parse(await env.http.get("/api/v1/audit/export.csv", headers=env.town_auditor))
    assert {r[6] for r in rows} == {HHL} and len(rows) == len(FORMULAS)


async def test_every_export_is_audited(env: Env) -> None:
    parse(await env.http.get("/api/v1/audit/export.csv", headers=env.auditor, params={"site": HHL}))
    r = await env.http.get("/api/v1/audit", headers=env.auditor, params={"action": "audit.export"})
    (row,) = r.json()["items"]
    assert row["actor"] == "token:root-auditor" and row["result"] == "ok"
    assert row["site"] == HHL and row["message"] == f"exported {len(FORMULAS)} rows as CSV"
    # what was asked for: the pinned end of the range and the site
    assert row["detail"]["filter"].startswith("to=2") and row["detail"]["filter"].endswith(HHL)


async def test_an_export_over_the_cap_is_refused_with_what_to_do(env: Env) -> None:
    await write_rows(env.parts.sessions, [Row("user:bulk", "job.create", HHL)] * EXPORT_CAP)
    r = await env.http.get("/api/v1/audit/export.csv", headers=env.auditor)
    body = r.json()
    assert r.status_code == 422 and body["code"] == "export_too_large", body
    assert f"more than {EXPORT_CAP} rows" in body["message"] and "narrow" in body["message"]
    failed = await env.http.get(
        "/api/v1/audit", headers=env.auditor, params={"action": "audit.export"}
    )
    assert [i["result"] for i in failed.json()["items"]] == ["failed"]
    # narrowed to the cap or fewer, it goes through
    ok = await env.http.get(
        "/api/v1/audit/export.csv", headers=env.auditor, params={"actor": "user:bulk"}
    )
    assert len(parse(ok)) == EXPORT_CAP


def test_safe_cell_rules() -> None:
    for bad in FORMULAS:
        assert audit_csv.safe_cell(bad) == "'" + bad
    for fine in ("user:alice", "2026-12-01T08:00:00+00:00", "qh/hx", "", "a=b", CHINESE):
        assert audit_csv.safe_cell(fine) == fine


async def test_a_stream_that_outgrows_the_cap_ends_with_a_line_saying_so(env: Env) -> None:
    """Rows can arrive between the cap check and the last batch: the file never exceeds the
    cap, and a reader of the file sees that it was cut short."""
    chunks = [c async for c in csv_chunks(env.parts.sessions, AuditFilter(), "qh", cap=3)]
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8")[1:], newline="")))
    assert len(rows) == 1 + 3 + 1
    assert rows[-1] == [
        "export stopped at 3 rows (KFLEET_AUDIT_EXPORT_MAX_ROWS); more rows match: "
        "narrow the filters and export again"
    ]
    whole = [c async for c in csv_chunks(env.parts.sessions, AuditFilter(), "qh", cap=100)]
    assert "export stopped" not in b"".join(whole).decode("utf-8")
