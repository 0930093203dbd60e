"""``POST /api/v1/kiosk/cases/lookup``: a kiosk looks up a citizen's cases by ID number (the
GB 11643 check digit checked before the platform is asked) or one case by number; every
failure of the city platform is a sentence for the citizen, and nothing hangs."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cloud.api.kiosk_cases import STATUS_EN
from fleet.access import PersonRole
from tests.access.kit import access_cloud
from tests.hall.kiosk_kit import kiosk_device
from tests.kiosk.cases_kit import HHL, LOOKUP, CasesEnv, case_settings, cases_env
from tests.kiosk.city_kit import CAIRANG, MA, WANG


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[CasesEnv]:
    async with cases_env(tmp_path, amqtt_url) as e:
        yield e


async def test_cases_by_id_number_with_timelines_and_the_name_masked(
    env: CasesEnv, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    r = await env.lookup(id_number=WANG[0])
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["by"], out["total"], out["page"], out["pages"]) == ("id_number", 3, 1, 1)
    assert {c["applicant"] for c in out["cases"]} == {"王*"}
    more = next(c for c in out["cases"] if c["status"] == "BZ")
    assert (more["status_name"], more["status_name_en"]) == ("补正", STATUS_EN["BZ"])
    assert [s["name"] for s in more["steps"]] == ["受理", "补正"]
    assert "房屋产权证明" in more["steps"][1]["opinion"]
    assert WANG[0] not in caplog.text and WANG[1] not in caplog.text


async def test_paging_and_a_lowercase_x(env: CasesEnv) -> None:
    second = (await env.lookup(id_number=MA[0], page=2)).json()
    assert (second["total"], second["page"], second["pages"], len(second["cases"])) == (
        12,
        2,
        2,
        2,
    )
    lower = await env.lookup(id_number=CAIRANG[0].lower())
    assert lower.status_code == 200 and lower.json()["total"] == 3
    hidden = next(c for c in lower.json()["cases"] if c["status"] == "SM")
    assert hidden["steps"] == [] and hidden["status_name_en"] == STATUS_EN["SM"]


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("632801198805120138", "校验位"),  # WANG with the last digit off by one
        ("63280119880512013", "18 位"),
        ("6328011988051201X7", "18 位"),
    ],
)
async def test_a_wrong_id_number_is_422_and_the_platform_is_not_asked(
    env: CasesEnv, typed: str, said: str
) -> None:
    r = await env.lookup(id_number=typed)
    body = r.json()
    assert (r.status_code, body["code"]) == (422, "id_number_invalid")
    assert said in body["citizen_message"] and body["citizen_message_en"]
    assert env.sim.requests == []


async def test_one_case_by_number_and_an_unknown_number(env: CasesEnv) -> None:
    wanted = next(c for c in env.sim.cases_of(MA[0]) if c["caseStatus"] == "BJ")["caseNo"]
    r = await env.lookup(case_no=wanted.lower())
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["by"], out["total"], out["cases"][0]["case_no"]) == ("case_no", 1, wanted)
    assert out["cases"][0]["applicant"] == "马*"
    missing = await env.lookup(case_no="GEM209901010001")
    assert (missing.status_code, missing.json()["code"]) == (404, "case_not_found")
    assert "编号" in missing.json()["citizen_message"]


async def test_exactly_one_of_id_number_and_case_no(env: CasesEnv) -> None:
    for body in ({}, {"id_number": WANG[0], "case_no": "GEM209901010001"}):
        r = await env.kiosk.post(LOOKUP, json=body)
        assert (r.status_code, r.json()["code"]) == (422, "lookup_needs_one"), body
        assert r.json()["citizen_message"]


async def test_a_stalled_platform_answers_504_in_bounded_time(env: CasesEnv) -> None:
    await env.lookup(case_no="GEM209901010001")  # the kiosk's credentials checked once
    env.sim.stall_s = 4.0  # the cloud's timeout is 1 s
    started = time.monotonic()
    r = await env.lookup(id_number=WANG[0])
    took = time.monotonic() - started
    env.sim.stall_s = 0
    assert (r.status_code, r.json()["code"]) == (504, "city_platform_timeout")
    # before the 4 s stall ends (a 2.5 s stall and a 2 s bound left a loaded machine 1 s)
    assert "没有响应" in r.json()["citizen_message"] and took < 3.5, took


async def test_maintenance_and_a_down_platform_are_citizen_sentences(env: CasesEnv) -> None:
    env.sim.maintenance_until = datetime.now(UTC) + timedelta(minutes=30)
    r = await env.lookup(id_number=WANG[0])
    assert (r.status_code, r.json()["code"]) == (503, "city_platform_maintenance")
    assert "维护" in r.json()["citizen_message"]
    env.sim.maintenance_until = None
    await env.sim.stop()
    down = await env.lookup(case_no="GEM209901010001")
    assert (down.status_code, down.json()["code"]) == (503, "city_platform_unavailable")
    assert "无法访问" in down.json()["citizen_message"]


async def test_only_a_device_may_look_up(env: CasesEnv) -> None:
    anon = await env.cloud.client()
    r = await anon.post(LOOKUP, json={"id_number": WANG[0]})
    assert (r.status_code, r.json()["code"]) == (401, "no_credentials")
    admin = await env.cloud.as_role(PersonRole.ADMINISTRATOR)
    r = await admin.post(LOOKUP, json={"id_number": WANG[0]})
    assert (r.status_code, r.json()["code"]) == (403, "device_only")
    assert env.sim.requests == []


async def test_no_platform_configured_says_so(tmp_path: Path, amqtt_url: str) -> None:
    settings = case_settings(tmp_path, amqtt_url, "", 1.0)
    async with access_cloud(settings) as cloud:
        kiosk = await kiosk_device(cloud, "kiosk-hhl-1", HHL, printer=True)
        r = await kiosk.post(LOOKUP, json={"id_number": WANG[0]})
    assert (r.status_code, r.json()["code"]) == (503, "city_platform_not_configured")
    assert "暂未开通" in r.json()["citizen_message"]
