"""The call centre on PostgreSQL: the migration, and two operators (in two cloud processes'
worth of sessions) accepting one call at once — one wins, whatever the database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fleet.access import PersonRole
from tests.access.kit import HHL
from tests.faults.databases import fresh_postgres
from tests.help.kit import CALLS, DESK, call_body, help_cloud

pytestmark = pytest.mark.postgres


async def test_one_of_many_operators_wins_on_postgres(
    tmp_path: Path, amqtt_url: str, postgres_url: str, uid: str
) -> None:
    with fresh_postgres(postgres_url, f"kfhelp_{uid}") as url:
        async with help_cloud(tmp_path, amqtt_url, database_url=url) as desk:
            names = [f"op{i}" for i in range(5)]
            ops = [await desk.operator(n) for n in names]
            kiosk = await desk.kiosk()
            call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
            answers = await asyncio.gather(
                *(op.post(f"{DESK}/calls/{call_id}/accept") for op in ops)
            )
            codes = sorted(a.status_code for a in answers)
            assert codes == [200, 409, 409, 409, 409], [a.text for a in answers]
            assert len(await desk.cloud.audit_rows("help.call.accept")) == 1
            winner = next(a.json()["operator"] for a in answers if a.status_code == 200)
            ref = await desk.cloud.parts.help.calls.get(call_id)
            assert ref is not None and (ref.state, ref.operator) == ("active", winner)
            late = await desk.cloud.as_role(PersonRole.OPERATOR, HHL, "late")
            refused = await late.post(f"{DESK}/calls/{call_id}/accept")
            assert refused.status_code == 409 and refused.json()["code"] == "call_taken"
