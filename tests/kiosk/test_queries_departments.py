"""Every declared query of the real department modules, through the kiosk API, against the
departments' simulators: person queries with the identity the default card's code granted,
public ones with sample inputs. Each answers rows or the department's own refusal as a citizen
sentence; none leaks the card's ID number unmasked; the usage rows count each run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloud.kiosk import departments
from cloud.kiosk.queries_tables import KioskQueryUsage
from kfleet.world.demo_departments import DEPARTMENT_STARTERS
from tests.kiosk import queries_stand_in
from tests.kiosk.queries_kit import CARD, QueriesEnv, person, queries_env

SAMPLE_INPUTS = {
    "edu_gaokao": {"year": "2006"},
    "police_traffic_violations": {"plate": "青H12345", "engine_tail": "A12345"},
    "bus_card": {"card_no": "31000012345678"},
    "bus_routes": {"keyword": "1"},
}


class Running:
    running: dict[str, Any]

    def __init__(self) -> None:
        self.running = {}


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[QueriesEnv]:
    async with AsyncExitStack() as stack:
        endpoints: dict[str, Any] = {}
        for start in DEPARTMENT_STARTERS:
            endpoints.update(
                (await stack.enter_async_context(start(Running())))["kiosk_departments"]
            )
        async with queries_env(tmp_path, amqtt_url, monkeypatch, kiosk_departments=endpoints) as e:
            yield e


async def test_every_declared_query_answers_through_the_kiosk_api(env: QueriesEnv) -> None:
    token = await env.token()
    listed = (await env.kiosk.get("/api/v1/kiosk/queries")).json()
    real = [q for m in departments.MODULES if m is not queries_stand_in for q in m.QUERIES]
    assert {q.code for q in real} <= set(listed["available"])
    answered, refused = [], []
    masked_seen = 0
    for q in real:
        body: dict[str, Any] = {"inputs": SAMPLE_INPUTS.get(q.code, {})}
        if q.identity == "person":
            body.update(identity_token=token, **person())
        r = await env.ask(q.code, **body)
        assert CARD.id_number not in r.text, q.code
        if r.status_code == 200:
            answered.append(q.code)
            rows = r.json()["rows"]
            assert set().union(*map(set, rows)) <= {f.key for f in q.fields}
            masked = [f.key for f in q.fields if f.mask != "none"]
            shown = [row[k] for row in rows for k in masked if row.get(k)]
            assert all("*" in v for v in shown), (q.code, shown)
            masked_seen += len(shown)
        else:
            assert r.status_code == 422 and r.json()["code"] == "department_refused", (
                q.code,
                r.text,
            )
            assert r.json()["citizen_message"], q.code
            refused.append(q.code)
    assert len(answered) >= len(real) // 2, (answered, refused)
    assert masked_seen > 0  # some answers carried masked fields
    async with env.cloud.parts.sessions() as s:
        runs = await s.scalar(select(func.count()).select_from(KioskQueryUsage))
    assert runs == len(real)
