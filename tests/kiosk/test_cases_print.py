"""``POST /api/v1/kiosk/cases/{case_no}/print``: the case's timeline printed on the calling
kiosk's receipt printer, the applicant's name masked; a kiosk without a printer and a case
the platform will not show are refused with a sentence for the citizen, and nothing prints."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloud.db.models import Job
from tests.hall.kiosk_kit import kiosk_device
from tests.kiosk.cases_kit import HHL, CasesEnv, cases_env
from tests.kiosk.city_kit import CAIRANG, WANG


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[CasesEnv]:
    async with cases_env(tmp_path, amqtt_url) as e:
        yield e


async def job_count(env: CasesEnv) -> int:
    async with env.cloud.parts.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Job)) or 0)


async def test_the_timeline_is_printed_on_this_kiosk(env: CasesEnv) -> None:
    case = next(c for c in env.sim.cases_of(WANG[0]) if c["caseStatus"] == "SD")
    path = f"/api/v1/kiosk/cases/{case['caseNo']}/print"
    r = await env.kiosk.post(path, json={"request_id": "press-1"})
    assert r.status_code == 201, r.text
    job = await env.job(r.json()["job_id"])
    assert (job.kind, job.target_device_id) == ("print_receipt", "kiosk-hhl-1")
    assert job.purpose == "receipt"  # the print audit counts it as a receipt
    texts = [line.get("text", "") for line in job.params["lines"]]
    paper = "\n".join(texts)
    assert case["caseNo"] in paper and case["itemName"] in paper
    assert "申请人 王*" in texts and WANG[1] not in paper and WANG[0] not in paper
    for step in ("受理", "审查", "决定", "办结", "送达"):
        assert any(f" {step} " in t for t in texts), step
    assert "当前状态 送达" in texts
    again = await env.kiosk.post(path, json={"request_id": "press-1"})
    assert again.json()["job_id"] == r.json()["job_id"] and await job_count(env) == 1


async def test_a_kiosk_without_a_printer_is_told_so(env: CasesEnv) -> None:
    bare = await kiosk_device(env.cloud, "kiosk-hhl-2", HHL, printer=False)
    case_no = env.sim.cases_of(WANG[0])[0]["caseNo"]
    r = await bare.post(f"/api/v1/kiosk/cases/{case_no}/print", json={})
    assert (r.status_code, r.json()["code"]) == (409, "no_receipt_printer")
    assert "打印机" in r.json()["citizen_message"] and await job_count(env) == 0


async def test_a_case_the_platform_will_not_show_is_not_printed(env: CasesEnv) -> None:
    secret = next(c for c in env.sim.cases_of(CAIRANG[0]) if c["secret"])["caseNo"]
    r = await env.kiosk.post(f"/api/v1/kiosk/cases/{secret}/print", json={})
    assert (r.status_code, r.json()["code"]) == (422, "case_refused")
    assert "窗口" in r.json()["citizen_message"] and await job_count(env) == 0
    missing = await env.kiosk.post("/api/v1/kiosk/cases/GEM209901010001/print", json={})
    assert (missing.status_code, missing.json()["code"]) == (404, "case_not_found")
