"""Usage of the queries: one row per run (query, site, kiosk, outcome, duration), counted by
query and outcome over a period per site subtree; no person anywhere — not in the rows, not in
the log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.kiosk.queries_tables import KioskQueryUsage
from fleet.access import PersonRole
from tests.kiosk.queries_kit import CARD, HHL, PHONE, TGLS, QueriesEnv, person, queries_env
from tests.kiosk.queries_stand_in import ACCOUNT, STATE

SUBSIDY = "standin_subsidy"
STATS = "/api/v1/kiosk-stats/queries"


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[QueriesEnv]:
    async with queries_env(tmp_path, amqtt_url, monkeypatch) as e:
        yield e


async def _mixed_usage(env: QueriesEnv) -> None:
    token = await env.token()
    assert (await env.ask(SUBSIDY, identity_token=token, **person())).status_code == 200
    assert (await env.ask(SUBSIDY, identity_token=token, **person())).status_code == 200
    assert (await env.ask(SUBSIDY, **person())).status_code == 403  # no token
    STATE.refuse = True
    assert (await env.ask(SUBSIDY, identity_token=token, **person())).status_code == 422
    STATE.refuse = False
    homes = {"inputs": {"district": "tgls"}}
    assert (await env.ask("standin_homes", env.far_kiosk, **homes)).status_code == 200


async def test_usage_is_counted_by_query_and_outcome_per_site(env: QueriesEnv) -> None:
    await _mixed_usage(env)
    admin = await env.cloud.as_role(PersonRole.ADMINISTRATOR)
    r = await admin.get(STATS, params={"site": HHL})
    assert r.status_code == 200, r.text
    got = {(row["query"], row["outcome"]): row["count"] for row in r.json()["rows"]}
    assert got == {(SUBSIDY, "ok"): 2, (SUBSIDY, "identity"): 1, (SUBSIDY, "refused"): 1}
    assert r.json()["total"] == 4
    whole = (await admin.get(STATS)).json()
    assert whole["total"] == 5 and whole["site"] == "qh"


async def test_the_period_bounds_the_count(env: QueriesEnv) -> None:
    await _mixed_usage(env)
    admin = await env.cloud.as_role(PersonRole.ADMINISTRATOR)
    future = datetime.now(UTC) + timedelta(days=1)
    params = {"start": future.isoformat(), "end": (future + timedelta(days=1)).isoformat()}
    assert (await admin.get(STATS, params=params)).json()["total"] == 0
    backwards = {"start": future.isoformat(), "end": (future - timedelta(days=2)).isoformat()}
    assert (await admin.get(STATS, params=backwards)).json()["total"] == 0
    # a period longer than 366 days counts from 366 days before its end, and says so
    long = {"start": "2000-01-01T00:00:00Z", "end": future.isoformat()}
    answer = (await admin.get(STATS, params=long)).json()
    assert answer["total"] == 5
    assert datetime.fromisoformat(answer["start"]) == future - timedelta(days=366)


async def test_an_operator_sees_only_their_subtree(env: QueriesEnv) -> None:
    await _mixed_usage(env)
    tgls_viewer = await env.cloud.as_role(PersonRole.AUDITOR, scope=TGLS)
    mine = await tgls_viewer.get(STATS)
    assert mine.status_code == 200, mine.text
    assert [(r["query"], r["count"]) for r in mine.json()["rows"]] == [("standin_homes", 1)]
    assert (await tgls_viewer.get(STATS, params={"site": HHL})).status_code == 404
    assert (await env.kiosk.get(STATS)).status_code == 403  # a kiosk reads no stats


async def test_no_person_in_usage_rows_nor_in_the_log(
    env: QueriesEnv, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        await _mixed_usage(env)
        later = datetime.now(UTC) + timedelta(seconds=61)  # past the per-phone interval
        env.set_clock(lambda: later)
        r = await env.ask(SUBSIDY, suffix="/print", identity_token=await env.token(), **person())
        assert r.status_code == 201
    async with env.cloud.parts.sessions() as s:
        rows = (await s.scalars(select(KioskQueryUsage))).all()
    stored = " ".join(" ".join(str(v) for v in row.__dict__.values()) for row in rows)
    assert "printed" in stored
    logged = caplog.text
    for secret in (CARD.id_number, CARD.name, PHONE, ACCOUNT, env.last_code()):
        assert secret not in stored and secret not in logged
    assert f"kiosk query {SUBSIDY}" in logged
