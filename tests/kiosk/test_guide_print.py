"""``POST /api/v1/kiosk/guide/{code}/print``: the calling kiosk gets a ``print_document`` job
with the guide PDF for the citizen's answers; bad answers, a kiosk without an A4 printer, an
unknown item and an unpublished catalogue are clear errors with a citizen's sentence and
print nothing; only a device may call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.models import Job
from fleet.access import PersonRole
from protocols.fonts import find_cjk_font
from tests.conftest import require_or_skip
from tests.kiosk.guide_kit import PHONE_URL, GuideEnv, guide_env
from tests.kiosk.guide_pdf_read import pdf_qr, pdf_text

PRINT = "/api/v1/kiosk/guide/{}/print"


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[GuideEnv]:
    if find_cjk_font() is None:
        require_or_skip("a CJK font")
    async with guide_env(tmp_path, amqtt_url) as e:
        yield e


async def _jobs(env: GuideEnv) -> list[Job]:
    async with env.cloud.parts.sessions() as s:
        return list((await s.scalars(select(Job))).all())


async def test_the_guide_is_printed_on_the_calling_kiosk(env: GuideEnv) -> None:
    body = {"answers": {"age": "100", "who": "agent"}, "request_id": "p-1"}
    r = await env.kiosk.post(PRINT.format("CA-ELDER-ALLOWANCE"), json=body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["qr_url"] == f"{PHONE_URL}/g/CA-ELDER-ALLOWANCE?age=100&who=agent"
    [job] = await _jobs(env)
    assert (job.id, job.kind, job.target_device_id) == (
        out["job_id"],
        "print_document",
        "kiosk-hhl-1",
    )
    assert job.params["title"] == "办事指南 CA-ELDER-ALLOWANCE"
    assert job.purpose == "guide"  # the print audit counts it as a guide
    with env.cloud.parts.blobs.open(job.params["document"]) as fh:
        pdf = fh.read()
    text = pdf_text(pdf)
    assert "高龄补贴申领" in text and "年龄核实材料" in text and "授权委托书" in text
    assert "黄河路" in text and "民政局" in text
    assert pdf_qr(pdf) == out["qr_url"]
    again = await env.kiosk.post(PRINT.format("CA-ELDER-ALLOWANCE"), json=body)
    assert again.json()["job_id"] == out["job_id"] and len(await _jobs(env)) == 1


async def test_answers_the_item_does_not_have_are_422_and_print_nothing(env: GuideEnv) -> None:
    for answers, words in (
        ({"colour": "red"}, "no question 'colour'"),
        ({"age": "70"}, "no option '70'"),
    ):
        r = await env.kiosk.post(PRINT.format("CA-ELDER-ALLOWANCE"), json={"answers": answers})
        assert r.status_code == 422, r.text
        err = r.json()
        assert err["code"] == "guide_answers_invalid" and words in err["message"]
        assert "重新选择" in err["citizen_message"] and err["citizen_message_en"]
    assert await _jobs(env) == []


async def test_a_kiosk_without_an_a4_printer_is_409(env: GuideEnv) -> None:
    r = await env.receipt_only.post(PRINT.format("HH-BIRTH"), json={})
    assert r.status_code == 409 and r.json()["code"] == "no_a4_printer"
    assert "二维码" in r.json()["citizen_message"]
    assert await _jobs(env) == []


async def test_unknown_item_and_unpublished_catalogue(env: GuideEnv) -> None:
    r = await env.kiosk.post(PRINT.format("NO-SUCH"), json={})
    assert r.status_code == 404 and r.json()["code"] == "guide_item_unknown"
    env.catalogue.published = None
    r = await env.kiosk.post(PRINT.format("HH-BIRTH"), json={})
    assert r.status_code == 503 and r.json()["code"] == "guide_not_published"
    assert r.json()["citizen_message"] == "办事指南暂未发布，请到窗口咨询。"
    assert await _jobs(env) == []


async def test_only_a_device_may_print(env: GuideEnv) -> None:
    assert (await env.public.post(PRINT.format("HH-BIRTH"), json={})).status_code == 401
    person = await env.cloud.as_role(PersonRole.ADMINISTRATOR)
    r = await person.post(PRINT.format("HH-BIRTH"), json={})
    assert r.status_code == 403 and r.json()["code"] == "device_only"
