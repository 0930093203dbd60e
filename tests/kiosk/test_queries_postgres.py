"""The one-time codes on PostgreSQL, where requests really run side by side: a right code sent
twice at once grants one token (the other is told the code was used); ten wrong codes at once
count five tries at most and lock the code; the query and its usage row work as on SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.kiosk.queries_tables import KioskOtp, KioskQueryUsage
from tests.faults.databases import fresh_postgres
from tests.kiosk.queries_kit import queries_env

pytestmark = pytest.mark.postgres


async def test_codes_race_on_postgres(
    tmp_path: Path, amqtt_url: str, postgres_url: str, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_postgres(postgres_url, f"kfqueries_{uid}") as url:
        async with queries_env(tmp_path, amqtt_url, monkeypatch, database_url=url) as env:
            otp_id = (await env.send()).json()["otp_id"]
            code = env.last_code()
            both = await asyncio.gather(*(env.verify(otp_id, code) for _ in range(2)))
            assert sorted(r.status_code for r in both) == [200, 422]
            assert {r.json().get("code") for r in both if r.status_code == 422} == {"otp_used"}
            token = next(r for r in both if r.status_code == 200).json()["identity_token"]
            person = {"id_number": env.otp_person[0], "name": env.otp_person[1]}
            r = await env.ask("standin_subsidy", identity_token=token, **person)
            assert r.status_code == 200, r.text

            env.set_clock(lambda: env.now_plus(61))
            otp_id = (await env.send()).json()["otp_id"]
            wrong = "000000" if env.last_code() != "000000" else "111111"
            tries = await asyncio.gather(*(env.verify(otp_id, wrong) for _ in range(10)))
            codes = sorted(r.json()["code"] for r in tries)
            assert codes.count("otp_wrong") <= 4 and "otp_locked" in codes
            async with env.cloud.parts.sessions() as s:
                row = await s.get(KioskOtp, otp_id)
                usage = (await s.scalars(select(KioskQueryUsage.outcome))).all()
            assert row is not None and (row.state, row.tries) == ("locked", 5)
            assert usage == ["ok"]
            right = await env.verify(otp_id, env.last_code())
            assert right.json()["code"] == "otp_locked"
