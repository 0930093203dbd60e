"""The kiosk agent's certificate and social-card routes against a real cloud (in-process, the
kiosk's device credentials, the real simulators): without a verified identity the screen is
told to run the check and the cloud is not asked; with it, the agent adds the card and the
token the queries' identity routes put in the session, and the browser sees masked answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from starlette.applications import Starlette

from edge_agent.kiosk import certs, queries
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.parts import KioskParts, KioskView
from edge_agent.kiosk.session import KioskSession
from protocols.fonts import find_cjk_font
from tests.conftest import require_or_skip
from tests.kiosk.certs_kit import CARD, CertsEnv, certs_env


class InProcessCloud(KioskCloud):
    def __init__(self, kiosk: httpx.AsyncClient) -> None:
        super().__init__("http://kfleet")
        self._client = kiosk


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[CertsEnv]:
    if find_cjk_font() is None:
        require_or_skip("a CJK font")
    async with certs_env(tmp_path, amqtt_url) as e:
        yield e


def _agent(env: CertsEnv, tmp_path: Path) -> tuple[KioskParts, httpx.AsyncClient]:
    parts = KioskParts(
        view=cast(KioskView, object()),
        cloud=InProcessCloud(env.kiosk),
        session=KioskSession(tmp_path / "session"),
    )
    app = Starlette(routes=[*queries.routes(parts), *certs.routes(parts)])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent")
    return parts, client


async def test_without_identity_the_screen_runs_the_check(env: CertsEnv, tmp_path: Path) -> None:
    _, agent = _agent(env, tmp_path)
    async with agent:
        listed = await agent.get("/kiosk/api/certificates")
        assert listed.status_code == 200 and listed.json()["library"] is True
        for path in ("/certificates/pension_voucher", "/licences", "/social-card"):
            r = await agent.post("/kiosk/api" + path, json={})
            assert (r.status_code, r.json()["code"]) == (403, "identity_required"), path
    assert env.hrss.answers == [] and env.library.answers == []


async def test_identity_then_preview_print_and_card(env: CertsEnv, tmp_path: Path) -> None:
    parts, agent = _agent(env, tmp_path)
    parts.session.put("idcard", {"id_number": CARD.id_number, "name": CARD.name})
    async with agent:
        assert (await agent.post("/kiosk/api/identity/otp")).status_code == 201
        code = env.sms.sent[-1].params["code"]
        assert (await agent.post("/kiosk/api/identity/verify", json={"code": code})).is_success
        preview = await agent.post("/kiosk/api/certificates/pension_voucher")
        assert preview.status_code == 200 and CARD.id_number not in preview.text
        bad = await agent.post("/kiosk/api/certificates/pension_voucher/print", json={})
        assert (bad.status_code, bad.json()["code"]) == (422, "request_id_missing")
        body = {"request_id": "agent-print-1"}
        printed = await agent.post("/kiosk/api/certificates/pension_voucher/print", json=body)
        assert printed.status_code == 201, printed.text
        card = await agent.post("/kiosk/api/social-card")
        assert card.status_code == 200 and card.json()["state"] == "normal"
        lost = await agent.post("/kiosk/api/social-card/loss", json={"request_id": "agent-loss-1"})
        assert lost.status_code == 201 and lost.json()["state"] == "lost"
        parts.session.clear()  # 退出: the identity goes with the card
        r = await agent.post("/kiosk/api/licences", json={})
        assert r.status_code == 403
