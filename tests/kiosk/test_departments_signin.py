"""Sign-in and the edges of the call: a token is reused until refused and then fetched again
once; a signed request is never accepted twice; a department that is not listening is
unavailable at once; nothing personal reaches the logs."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import httpx
import pytest

from cloud.kiosk.departments import police
from cloud.kiosk.departments.base import DepartmentRefused, DepartmentUnavailable
from cloud.kiosk.departments.http_common import HmacAuth
from cloud.settings_kiosk import DepartmentEndpoint
from tests.kiosk.departments_kit import CASES, WANG, running

TOKEN_DEPARTMENTS = sorted(c for c, case in CASES.items() if case.sim.auth == "token")


@pytest.mark.parametrize("code", TOKEN_DEPARTMENTS)
async def test_a_token_is_reused_and_fetched_again_once_when_refused(code: str) -> None:
    operation, person, inputs = CASES[code].success
    async with running(code) as (sim, adapter):
        await adapter.query(operation, person, inputs, 1, 5)
        await adapter.query(operation, person, inputs, 1, 5)
        assert sim.tokens_issued == 1
        sim.revoke_tokens()
        result = await adapter.query(operation, person, inputs, 1, 5)
        assert sim.tokens_issued == 2
    assert result.rows
    assert [status for _p, status in sim.answers] == [200, 200, 401, 200]


async def test_a_signed_request_is_not_accepted_twice() -> None:
    async with running("police") as (sim, _adapter):
        endpoint = DepartmentEndpoint.model_validate(
            {"url": sim.url, "app_id": sim.app_id, "secret": sim.secret}
        )
        target = "/gaj/v2/hukou?idNo=632801198805120137&name=%E7%8E%8B%E6%99%93%E6%98%8E"
        headers = await HmacAuth(endpoint, "X-", "hex").headers(
            httpx.AsyncClient(), "GET", target, b""
        )
        async with httpx.AsyncClient() as client:
            first = await client.get(sim.url + target, headers=headers)
            again = await client.get(sim.url + target, headers=headers)
    assert first.status_code == 200 and first.json()["data"]["xm"] == "王晓明"
    assert again.status_code == 401 and again.json()["errorCode"] == "AUTH_FAILED"


async def test_a_department_not_listening_is_unavailable_at_once() -> None:
    async with running("police") as (sim, _adapter):
        url = sim.url
    adapter = police.build(DepartmentEndpoint.model_validate({"url": url, "timeout_s": 5}))
    try:
        with pytest.raises(DepartmentUnavailable) as caught:
            await adapter.query("household", WANG, {}, 1, 5)
    finally:
        await adapter.close()
    assert "省公安厅" in caught.value.citizen[0]


@pytest.mark.parametrize("code", sorted(CASES))
async def test_nothing_personal_in_the_logs(code: str, caplog: pytest.LogCaptureFixture) -> None:
    case = CASES[code]
    caplog.set_level(logging.DEBUG)
    async with running(code) as (_sim, adapter):
        ok = await adapter.query(*case.success[:3], 1, 5)
        with pytest.raises(DepartmentRefused):
            await adapter.query(*case.refusal[:3], 1, 5)
    # httpcore's DEBUG traces carry response headers (a Date of 06:40 once matched a bus
    # timetable's departure): transport noise, not what our code logs; httpx's URLs stay in
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.split(".")[0] != "httpcore")
    assert code in logged, "the outcome should be logged"
    secrets = {WANG.id_number, WANG.name, *case.refusal[2].values(), *case.success[2].values()}
    secrets |= {v for row in ok.rows for v in row.values() if len(v) >= 4}
    secrets |= {quote(s) for s in secrets}
    leaked = [s for s in secrets if s and s in logged]
    assert not leaked, f"logged personal data: {leaked}"


@pytest.mark.parametrize("code", TOKEN_DEPARTMENTS)
async def test_concurrent_queries_at_a_cold_start_sign_in_once(code: str) -> None:
    operation, person, inputs = CASES[code].success
    async with running(code) as (sim, adapter):
        results = await asyncio.gather(
            *(adapter.query(operation, person, inputs, 1, 5) for _ in range(8))
        )
    assert all(r.rows for r in results)
    assert sim.tokens_issued == 1
