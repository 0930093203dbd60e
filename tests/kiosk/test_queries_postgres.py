"""The one-time codes on PostgreSQL, where requests really run side by side: a right code sent
twice at once grants one token (the other is told the code was used); ten wrong codes at once
count five tries at most and lock the code; the query and its usage row work as on SQLite."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cloud.db.models import utcnow
from cloud.kiosk.queries_tables import KioskOtp, KioskQueryUsage
from tests.faults.databases import fresh_postgres
from tests.kiosk.queries_kit import queries_env

pytestmark = pytest.mark.postgres


def both_read_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next two reads of a code wait for each other: both requests have read the
    code as usable before either writes — the race, every time, not by luck of timing."""
    barrier = asyncio.Barrier(2)
    plain_get = AsyncSession.get

    async def get(self: AsyncSession, entity: Any, ident: Any, **kw: Any) -> Any:
        row = await plain_get(self, entity, ident, **kw)
        if entity is KioskOtp and barrier.n_waiting < 2:
            async with asyncio.timeout(5):
                await barrier.wait()
        return row

    monkeypatch.setattr(AsyncSession, "get", get)


async def test_codes_race_on_postgres(
    tmp_path: Path, amqtt_url: str, postgres_url: str, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh_postgres(postgres_url, f"kfqueries_{uid}") as url:
        async with queries_env(tmp_path, amqtt_url, monkeypatch, database_url=url) as env:
            otp_id = (await env.send()).json()["otp_id"]
            code = env.last_code()
            with monkeypatch.context() as patch:
                both_read_first(patch)
                both = await asyncio.gather(*(env.verify(otp_id, code) for _ in range(2)))
            assert sorted(r.status_code for r in both) == [200, 422]
            assert {r.json().get("code") for r in both if r.status_code == 422} == {"otp_used"}
            token = next(r for r in both if r.status_code == 200).json()["identity_token"]
            person = {"id_number": env.otp_person[0], "name": env.otp_person[1]}
            r = await env.ask("standin_subsidy", identity_token=token, **person)
            assert r.status_code == 200, r.text

            later = utcnow() + timedelta(seconds=61)  # past the per-phone interval
            env.set_clock(lambda: later)
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
