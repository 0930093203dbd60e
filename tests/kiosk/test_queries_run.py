"""Running a convenience query: person queries need the identity token granted at this kiosk
for this card; rows leave the cloud masked and only with declared fields; paging; inputs are
checked before the department is called; every department failure is a citizen sentence, and
a department that never answers is cut off at its bound."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from cloud.db.models import Job, utcnow
from tests.kiosk.queries_kit import CARD, OTHER, QueriesEnv, person, queries_env
from tests.kiosk.queries_stand_in import ACCOUNT, STATE

SUBSIDY = "standin_subsidy"


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[QueriesEnv]:
    async with queries_env(tmp_path, amqtt_url, monkeypatch) as e:
        yield e


async def test_the_declarations_are_listed_with_what_is_available(env: QueriesEnv) -> None:
    r = await env.kiosk.get("/api/v1/kiosk/queries")
    assert r.status_code == 200, r.text
    codes = {q["code"]: q for q in r.json()["queries"]}
    assert codes[SUBSIDY]["identity"] == "person" and codes[SUBSIDY]["layout"] == "table"
    assert {SUBSIDY, "standin_homes"} <= set(r.json()["available"])


async def test_a_person_query_returns_masked_declared_fields(env: QueriesEnv) -> None:
    token = await env.token()
    r = await env.ask(SUBSIDY, identity_token=token, **person())
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["query"], out["layout"], out["total"], out["page"], out["pages"]) == (
        SUBSIDY,
        "table",
        12,
        1,
        2,
    )
    row = out["rows"][0]
    assert set(row) == {"name", "id_number", "month", "amount", "account"}
    assert row["name"] == CARD.name[0] + "*" + CARD.name[-1]
    assert row["id_number"] == CARD.id_number[:4] + "*" * 10 + CARD.id_number[-4:]
    assert row["account"] == "****" + ACCOUNT[-4:]
    assert (row["month"], row["amount"]) == ("2026-01", "200.00")
    assert CARD.id_number not in r.text and ACCOUNT not in r.text


async def test_pages_come_one_at_a_time(env: QueriesEnv) -> None:
    token = await env.token()
    r = await env.ask(SUBSIDY, identity_token=token, page=2, **person())
    out = r.json()
    assert (out["page"], len(out["rows"]), out["rows"][0]["month"]) == (2, 2, "2026-11")


async def test_a_person_query_without_a_token_is_refused(env: QueriesEnv) -> None:
    r = await env.ask(SUBSIDY, **person())
    assert (r.status_code, r.json()["code"]) == (403, "identity_required")
    assert r.json()["citizen_message"].startswith("请先读取身份证")
    assert STATE.asked == []


async def test_a_token_is_bound_to_its_kiosk(env: QueriesEnv) -> None:
    token = await env.token()
    r = await env.ask(SUBSIDY, env.other_kiosk, identity_token=token, **person())
    assert (r.status_code, r.json()["code"]) == (403, "identity_required")


async def test_a_token_is_bound_to_its_card(env: QueriesEnv) -> None:
    token = await env.token()
    r = await env.ask(SUBSIDY, identity_token=token, **person(OTHER))
    assert (r.status_code, r.json()["code"]) == (403, "identity_required")
    assert STATE.asked == []


async def test_a_token_lasts_ten_minutes(env: QueriesEnv) -> None:
    token = await env.token()
    start = utcnow()
    env.set_clock(lambda: start + timedelta(minutes=9, seconds=50))
    assert (await env.ask(SUBSIDY, identity_token=token, **person())).status_code == 200
    env.set_clock(lambda: start + timedelta(minutes=10, seconds=1))
    r = await env.ask(SUBSIDY, identity_token=token, **person())
    assert (r.status_code, r.json()["code"]) == (403, "identity_required")


async def test_a_public_query_needs_no_identity(env: QueriesEnv) -> None:
    r = await env.ask("standin_homes", inputs={"district": "hhl"})
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == [{"name": "格尔木市社会福利院", "phone": "0979-8412345"}]
    assert STATE.asked == [("homes", None, {"district": "hhl"}, 1)]


@pytest.mark.parametrize(
    ("inputs", "says"),
    [
        ({"district": "nowhere"}, "“街道”格式不正确"),
        ({}, "请填写“街道”"),
        ({"district": "hhl", "extra": "1"}, "输入项有误"),
    ],
)
async def test_bad_inputs_never_reach_the_department(
    env: QueriesEnv, inputs: dict[str, str], says: str
) -> None:
    r = await env.ask("standin_homes", inputs=inputs)
    assert (r.status_code, r.json()["code"]) == (422, "query_input_invalid")
    assert says in r.json()["citizen_message"]
    assert STATE.asked == []


async def test_a_department_refusal_is_the_departments_sentence(env: QueriesEnv) -> None:
    token = await env.token()
    STATE.refuse = True
    r = await env.ask(SUBSIDY, identity_token=token, **person())
    assert (r.status_code, r.json()["code"]) == (422, "department_refused")
    assert r.json()["citizen_message"] == "未查询到您的高龄补贴发放记录。"


async def test_a_department_that_never_answers_is_cut_off(env: QueriesEnv) -> None:
    STATE.stall = True
    async with asyncio.timeout(5):  # the bound is the department's 0.3 s + 1 s
        r = await env.ask("standin_homes", inputs={"district": "hhl"})
    assert (r.status_code, r.json()["code"]) == (504, "department_timeout")
    assert "超时" in r.json()["citizen_message"]


async def test_an_unknown_query_is_a_404(env: QueriesEnv) -> None:
    r = await env.ask("no_such_query")
    assert (r.status_code, r.json()["code"]) == (404, "unknown_query")


async def test_a_result_prints_masked_on_this_kiosks_receipt_printer(env: QueriesEnv) -> None:
    token = await env.token()
    r = await env.ask(SUBSIDY, suffix="/print", identity_token=token, **person())
    assert r.status_code == 201, r.text
    async with env.cloud.parts.sessions() as s:
        job = await s.get(Job, r.json()["job_id"])
    assert job is not None
    assert (job.kind, job.target_device_id) == ("print_receipt", "kiosk-hhl-1")
    assert job.purpose == "query"  # the print audit counts it as a query
    text = " ".join(line.get("text", "") for line in job.params["lines"])
    assert "高龄补贴发放查询" in text and "****" + ACCOUNT[-4:] in text
    assert CARD.id_number not in text and ACCOUNT not in text


async def test_a_query_not_printable_is_refused(env: QueriesEnv) -> None:
    r = await env.ask("standin_homes", suffix="/print", inputs={"district": "hhl"})
    assert (r.status_code, r.json()["code"]) == (422, "query_not_printable")


async def test_a_kiosk_without_a_printer_is_told(env: QueriesEnv) -> None:
    token = await env.token(env.other_kiosk)
    r = await env.ask(SUBSIDY, env.other_kiosk, suffix="/print", identity_token=token, **person())
    assert (r.status_code, r.json()["code"]) == (409, "query_not_printed")


async def test_without_the_department_configured_queries_say_so(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with queries_env(tmp_path, amqtt_url, monkeypatch, kiosk_departments={}) as env:
        listed = (await env.kiosk.get("/api/v1/kiosk/queries")).json()
        assert listed["available"] == []
        r = await env.ask("standin_homes", inputs={"district": "hhl"})
        assert (r.status_code, r.json()["code"]) == (503, "department_not_configured")
