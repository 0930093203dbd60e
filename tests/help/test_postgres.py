"""The call centre on PostgreSQL, where requests really interleave: operators accepting one
call at once — one wins; a kiosk pressing several times at once (tile and button) — one call
(without the per-kiosk lock this made four calls here; SQLite's single writer hid it)."""

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


async def test_presses_at_once_make_one_call_on_postgres(
    tmp_path: Path, amqtt_url: str, postgres_url: str, uid: str
) -> None:
    with fresh_postgres(postgres_url, f"kfhelp_{uid}") as url:
        async with help_cloud(tmp_path, amqtt_url, database_url=url) as desk:
            await desk.operator("alice")
            for i in range(3):
                kiosk = await desk.kiosk(f"kiosk-hhl-{i}")
                presses = [
                    call_body(f"r{j}", source="button" if j % 2 else "tile") for j in range(4)
                ]
                both = await asyncio.gather(*(kiosk.post(CALLS, json=p) for p in presses))
                assert [b.status_code for b in both] == [201] * 4
                assert len({b.json()["call_id"] for b in both}) == 1
            assert len(await desk.cloud.audit_rows("help.call.create")) == 3
