"""The kiosk agent's query and identity routes against a real cloud (in-process, the kiosk's
device credentials): the card, the code's ticket and the identity token stay in the agent's
session and never reach the browser; a clear forgets them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from starlette.applications import Starlette

from edge_agent.kiosk import queries
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.parts import KioskParts, KioskView
from edge_agent.kiosk.session import KioskSession
from tests.kiosk.queries_kit import CARD, QueriesEnv, queries_env

SUBSIDY = "standin_subsidy"


class InProcessCloud(KioskCloud):
    """The agent's cloud client, speaking to the in-process cloud as the HHL kiosk."""

    def __init__(self, kiosk: httpx.AsyncClient) -> None:
        super().__init__("http://kfleet")
        self._client = kiosk


@pytest.fixture
async def env(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[QueriesEnv]:
    async with queries_env(tmp_path, amqtt_url, monkeypatch) as e:
        yield e


def _agent(env: QueriesEnv, tmp_path: Path) -> tuple[KioskParts, httpx.AsyncClient]:
    parts = KioskParts(
        view=cast(KioskView, object()),
        cloud=InProcessCloud(env.kiosk),
        session=KioskSession(tmp_path / "session"),
    )
    app = Starlette(routes=queries.routes(parts))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent")
    return parts, client


def _read_card(parts: KioskParts) -> None:
    parts.session.put("idcard", {"id_number": CARD.id_number, "name": CARD.name})


async def test_without_a_card_no_code_is_asked(env: QueriesEnv, tmp_path: Path) -> None:
    _, agent = _agent(env, tmp_path)
    async with agent:
        r = await agent.post("/kiosk/api/identity/otp")
    assert (r.status_code, r.json()["code"]) == (409, "no_card")
    assert env.identity.requests == [] and env.sms.sent == []


async def test_card_code_and_query_with_the_person_kept_on_the_agent(
    env: QueriesEnv, tmp_path: Path
) -> None:
    parts, agent = _agent(env, tmp_path)
    _read_card(parts)
    async with agent:
        sent = await agent.post("/kiosk/api/identity/otp")
        assert sent.status_code == 201, sent.text
        assert set(sent.json()) == {"phone_masked", "expires_at"}
        ok = await agent.post("/kiosk/api/identity/verify", json={"code": env.last_code()})
        assert ok.status_code == 200, ok.text
        assert set(ok.json()) == {"verified", "expires_at"}
        assert (await agent.get("/kiosk/api/identity")).json() == {"card": True, "verified": True}
        r = await agent.post(f"/kiosk/api/queries/{SUBSIDY}", json={"inputs": {}, "page": 1})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 12 and CARD.id_number not in r.text
        parts.session.clear()  # idle or 退出
        _read_card(parts)
        again = await agent.post(f"/kiosk/api/queries/{SUBSIDY}", json={"inputs": {}})
    assert (again.status_code, again.json()["code"]) == (403, "identity_required")


async def test_a_wrong_code_is_passed_on_with_the_citizens_sentence(
    env: QueriesEnv, tmp_path: Path
) -> None:
    parts, agent = _agent(env, tmp_path)
    _read_card(parts)
    async with agent:
        await agent.post("/kiosk/api/identity/otp")
        wrong = "000000" if env.last_code() != "000000" else "111111"
        r = await agent.post("/kiosk/api/identity/verify", json={"code": wrong})
    body: dict[str, Any] = r.json()
    assert (r.status_code, body["code"]) == (422, "otp_wrong")
    assert parts.session.get(queries.IDENTITY_KEY) is None


async def test_no_cloud_is_said_plainly(tmp_path: Path) -> None:
    parts = KioskParts(
        view=cast(KioskView, object()),
        cloud=KioskCloud(None),
        session=KioskSession(tmp_path / "session"),
    )
    app = Starlette(routes=queries.routes(parts))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as agent:
        r = await agent.get("/kiosk/api/queries")
    assert (r.status_code, r.json()["code"]) == (503, "cloud_unreachable")
