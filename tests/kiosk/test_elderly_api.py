"""The 高龄补贴 kiosk API with a device's credentials, the 民政局 and face-verification
simulators behind it over real HTTP: the form; a registration refused for its form, for the
age and by the bureau (a second time), accepted with its receipt job; a certification's
challenge used once, at one kiosk; the clip's answer."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.db.models import Job
from edge_agent.kiosk import elderly_clip
from simulators.dept_people import LI_GUIYING
from tests.kiosk.elderly_kit import Env, SyntheticCamera, elderly_env, form

LI = {"id_number": LI_GUIYING.id_number, "name": LI_GUIYING.name}


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    async with elderly_env(tmp_path, amqtt_url) as e:
        yield e


async def register(env: Env, data: dict[str, Any]) -> httpx.Response:
    return await env.kiosk.post("/api/v1/kiosk/elderly/registrations", json={"data": data})


async def test_the_form_is_the_shipped_one(env: Env) -> None:
    r = await env.kiosk.get("/api/v1/kiosk/elderly/form")
    assert r.status_code == 200 and r.json()["title"] == "青海省高龄补贴登记表"


async def test_registration_refusals_then_accepted_with_a_receipt(env: Env) -> None:
    r = await register(env, form(75, card="6222021234567890127"))
    assert r.status_code == 422 and r.json()["code"] == "form_invalid"
    assert "校验位不符" in r.json()["citizen_message"]
    r = await register(env, form(70, days=1))
    assert r.status_code == 422 and r.json()["code"] == "elderly_not_eligible"
    assert "您今年69周岁" in r.json()["citizen_message"]
    assert env.civil.allowance.applications == {}
    data = form(70)
    r = await register(env, data)
    assert r.status_code == 201, r.text
    got = r.json()
    assert got["application_no"].startswith("GLBT") and got["tier"] == "70-79周岁"
    async with env.cloud.parts.sessions() as s:
        job = await s.get(Job, got["job_id"])
    assert job is not None and job.purpose == "application" and job.kind == "print_receipt"
    r = await register(env, data)
    assert r.status_code == 422 and r.json()["code"] == "department_refused"
    assert "已登记过" in r.json()["citizen_message"]


async def test_a_body_with_an_unknown_field_is_refused(env: Env) -> None:
    r = await env.kiosk.post("/api/v1/kiosk/elderly/certifications", json={**LI, "photo": "x"})
    assert r.status_code == 422


@pytest.fixture(scope="module")
def clip_b64(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("clip") / "face.avi"
    asyncio.run(elderly_clip.record(SyntheticCamera(), 1.2, path))
    return base64.b64encode(path.read_bytes()).decode()


async def test_a_challenge_is_used_once_at_its_kiosk(env: Env, clip_b64: str) -> None:
    started = await env.kiosk.post("/api/v1/kiosk/elderly/certifications", json=LI)
    assert started.status_code == 201, started.text
    c = started.json()
    assert len(c["actions"]) == 3 and c["seconds"] == 2
    body = {**LI, "challenge": c["challenge"], "clip": clip_b64}
    elsewhere = await env.other.post("/api/v1/kiosk/elderly/certifications/verify", json=body)
    assert elsewhere.status_code == 409 and elsewhere.json()["code"] == "challenge_refused"
    r = await env.kiosk.post("/api/v1/kiosk/elderly/certifications/verify", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["result"] == "pass" and r.json()["certification_no"].startswith("GLRZ")
    assert [x.actions for x in env.face.received] == [c["actions"]]
    again = await env.kiosk.post("/api/v1/kiosk/elderly/certifications/verify", json=body)
    assert again.status_code == 409


async def test_a_mismatch_records_nothing_at_the_bureau(env: Env, clip_b64: str) -> None:
    env.face.verdicts[LI_GUIYING.id_number] = "mismatch"
    c = (await env.kiosk.post("/api/v1/kiosk/elderly/certifications", json=LI)).json()
    body = {**LI, "challenge": c["challenge"], "clip": clip_b64}
    r = await env.kiosk.post("/api/v1/kiosk/elderly/certifications/verify", json=body)
    assert r.status_code == 200 and r.json()["result"] == "mismatch"
    assert r.json()["job_id"] == "" and env.civil.allowance.certifications == []


async def test_a_kiosk_that_cannot_print_still_registers(env: Env) -> None:
    r = await env.other.post("/api/v1/kiosk/elderly/registrations", json={"data": form(90)})
    assert r.status_code == 201, r.text
    assert r.json()["job_id"] == "" and r.json()["tier"] == "90-99周岁"
    assert len(env.civil.allowance.applications) == 1
