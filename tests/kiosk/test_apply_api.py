"""The cloud's self-service application API (自助申报) against the city platform simulator:
pages kept under the kiosk's identity, the application checked (situation, required materials,
the e-form's one validation), filed with its pages as the platform's files, a receipt printed
on this kiosk with purpose ``application``; a retry files and prints once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloud.db.models import Job
from tests.kiosk.apply_kit import (
    FORM,
    ITEM,
    PAGES,
    SUBMIT,
    ApplyEnv,
    application,
    apply_env,
    jpeg_page,
    sha,
)
from tests.kiosk.city_kit import WANG
from tests.kiosk.guide_kit import kiosk_with


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[ApplyEnv]:
    async with apply_env(tmp_path, amqtt_url) as e:
        yield e


async def jobs(env: ApplyEnv) -> int:
    async with env.cloud.parts.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Job)) or 0)


async def test_three_materials_reach_the_platform_and_a_receipt_is_printed(env: ApplyEnv) -> None:
    id_front, id_back = jpeg_page("id-front"), jpeg_page("id-back")
    hukou, bank = jpeg_page("hukou"), jpeg_page("bank")
    pages = {
        "id_card": [await env.upload(id_front), await env.upload(id_back)],
        "hukou_book": [await env.upload(hukou)],
        "bank_card": [await env.upload(bank)],
    }
    r = await env.kiosk.post(SUBMIT, json=application(pages))
    assert r.status_code == 201, r.text
    out = r.json()
    got = next(iter(env.sim.apply.applications.values()))
    assert got.case_no == out["case_no"] and got.cert_no == WANG[0]
    sent = {code: [f.content for f in files] for code, files in got.materials.items()}
    assert sent == {"id_card": [id_front, id_back], "hukou_book": [hukou], "bank_card": [bank]}
    assert got.form_code == "pension-claim" and got.form_data["bank"] == "青海银行"
    # the case API finds the new case from then on
    assert env.sim.cases_of(WANG[0])[0]["caseNo"] == out["case_no"]
    job = await env.job(out["job_id"])
    assert (job.kind, job.purpose, job.target_device_id) == (
        "print_receipt",
        "application",
        "kiosk-hhl-1",
    )
    texts = [line.get("text", "") for line in job.params["lines"]]
    paper = "\n".join(texts)
    assert out["case_no"] in texts and "申请人 王*" in texts
    assert WANG[0] not in paper and WANG[1] not in paper
    assert "· 申请人居民身份证（2 页）" in texts
    qr = [line["data"] for line in job.params["lines"] if line["type"] == "qr"]
    assert qr == [out["follow_url"]] and out["case_no"] in qr[0]
    stored = env.cloud.parts.settings.data_dir / "blobs"
    assert not [p for shas in pages.values() for s in shas for p in stored.rglob(s)]  # filed: gone
    again = await env.kiosk.post(SUBMIT, json=application(pages))
    assert again.json() == out and len(env.sim.apply.applications) == 1 and await jobs(env) == 1


async def test_a_missing_required_material_is_named(env: ApplyEnv) -> None:
    pages = {"id_card": [await env.upload(jpeg_page("id"))]}
    r = await env.kiosk.post(SUBMIT, json=application(pages))
    assert (r.status_code, r.json()["code"]) == (422, "application_incomplete")
    assert "居民户口簿" in r.json()["citizen_message"] and not env.sim.apply.applications


async def test_a_form_that_fails_its_schema_is_refused_with_the_field(env: ApplyEnv) -> None:
    pages = {c: [await env.upload(jpeg_page(c))] for c in ("id_card", "hukou_book", "bank_card")}
    body = application(pages)
    body["form_data"]["bank_card"] = "6222020200112233445"  # check digit wrong
    r = await env.kiosk.post(SUBMIT, json=body)
    assert (r.status_code, r.json()["code"]) == (422, "form_invalid")
    assert "卡号" in r.json()["citizen_message"] and not env.sim.apply.applications


async def test_pages_of_another_kiosk_are_not_filed(env: ApplyEnv) -> None:
    other = await kiosk_with(env.cloud, "kiosk-hhl-2", "qh/hx/golmud/hhl", "receipt_printer")
    pages = {
        c: [await env.upload(jpeg_page(c), other)] for c in ("id_card", "hukou_book", "bank_card")
    }
    r = await env.kiosk.post(SUBMIT, json=application(pages))
    assert (r.status_code, r.json()["code"]) == (409, "material_missing")


async def test_a_page_that_is_not_an_image_is_refused(env: ApplyEnv) -> None:
    content = b"#!/bin/sh\necho not a scan\n"
    r = await env.kiosk.put(f"{PAGES}/{sha(content)}", content=content)
    assert (r.status_code, r.json()["code"]) == (422, "material_refused")


async def test_the_form_is_the_items_own_or_the_general_one(env: ApplyEnv) -> None:
    r = await env.kiosk.post(FORM, json={"item": ITEM, "answers": {"who": "self"}})
    assert r.status_code == 200 and r.json()["code"] == "pension-claim"
    # the catalogue names this item's form (Form.template)
    named = await env.kiosk.post(FORM, json={"item": "SI-PENSION-ENROL"})
    assert named.status_code == 200 and named.json()["code"] == "pension-enrol"
    other = await env.kiosk.post(FORM, json={"item": "SI-TRANSFER"})
    assert other.status_code == 200 and other.json()["code"] == "apply-general"


@pytest.mark.parametrize(
    "change",
    [
        {"name": "王\x07晓明"},  # a control character
        {"form_version": True},  # a bool is not an int
        {"unexpected": 1},  # extra="forbid"
        {"form_data": {"Bad-Key": "x"}},  # a field key is snake_case
        {"materials": []},  # at least one material
    ],
)
async def test_bad_input_is_refused_before_anything_is_filed(
    env: ApplyEnv, change: dict[str, object]
) -> None:
    pages = {"id_card": [await env.upload(jpeg_page("id"))]}
    r = await env.kiosk.post(SUBMIT, json={**application(pages), **change})
    assert r.status_code == 422, r.text
    assert not env.sim.apply.applications and env.sim.requests == []


async def test_only_devices_may_apply(env: ApplyEnv) -> None:
    person = await env.cloud.client()
    r = await person.post(FORM, json={"item": ITEM})
    assert r.status_code in (401, 403)


async def test_without_a_receipt_printer_the_application_still_stands(env: ApplyEnv) -> None:
    a4_only = await kiosk_with(env.cloud, "kiosk-hhl-3", "qh/hx/golmud/hhl", "a4_printer")
    pages = {
        c: [await env.upload(jpeg_page(c), a4_only)] for c in ("id_card", "hukou_book", "bank_card")
    }
    r = await a4_only.post(SUBMIT, json=application(pages))
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["job_id"] is None and out["case_no"] in out["print_problem"]
    assert len(env.sim.apply.applications) == 1 and await jobs(env) == 0
