"""The kiosk agent's 自助填表 routes against a real cloud (in-process, the kiosk's device
credentials): the ID card's fields come from the card the agent holds (never from the
browser), the check answers offline too, a print without a card is refused at the agent,
the phone's data comes back once and merges with what was typed; a clear forgets it all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import httpx
import pytest
from starlette.applications import Starlette

from edge_agent.kiosk import forms
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.parts import KioskParts, KioskView
from edge_agent.kiosk.session import KioskSession
from tests.forms.forms_kit import ID_NUMBER, FormsEnv, forms_env, token_of

CARD = {
    "id_number": ID_NUMBER,
    "name": "王小明",
    "sex": "男",
    "birth": "1988-05-12",
    "address": "青海省格尔木市",
    "read_at": "now",
}
TYPED = {"phone": "13912345678", "address": "格尔木市河西街道昆仑路 8 号"}


class InProcessCloud(KioskCloud):
    """The agent's cloud client, speaking to the in-process cloud as the HHL kiosk."""

    def __init__(self, kiosk: httpx.AsyncClient) -> None:
        super().__init__("http://kfleet")
        self._client = kiosk


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[FormsEnv]:
    async with forms_env(tmp_path / "cloud", mosquitto_url) as e:
        yield e


def _agent(cloud: KioskCloud, tmp_path: Path) -> tuple[KioskParts, httpx.AsyncClient]:
    parts = KioskParts(
        view=cast(KioskView, object()), cloud=cloud, session=KioskSession(tmp_path / "s")
    )
    app = Starlette(routes=forms.routes(parts))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent")
    return parts, client


async def test_the_card_fills_its_fields_and_the_browser_cannot(
    env: FormsEnv, tmp_path: Path
) -> None:
    parts, agent = _agent(InProcessCloud(env.kiosk), tmp_path)
    async with agent:
        assert (
            await agent.post("/kiosk/api/forms/personal-info/check", json={})
        ).status_code == 409
        assert (await agent.get("/kiosk/api/forms/personal-info")).status_code == 200
        forged = {**TYPED, "name": "李四", "id_number": "110101199003070019"}
        no_card = await agent.post("/kiosk/api/forms/personal-info/print", json={"data": forged})
        assert (no_card.status_code, no_card.json()["code"]) == (422, "form_data_invalid")
        assert {p["field"] for p in no_card.json()["problems"]} == {"name", "id_number"}
        assert "请先刷身份证" in no_card.json()["message"]

        parts.session.put("idcard", CARD)
        r = await agent.post(
            "/kiosk/api/forms/personal-info/print", json={"data": forged, "request_id": "p-1"}
        )
        assert r.status_code == 201, r.text
        job = await env.job(r.json()["job_id"])
        assert job.purpose == "form" and job.target_device_id == "kiosk-hhl-1"

        parts.session.clear()
        assert (
            await agent.post("/kiosk/api/forms/personal-info/check", json={})
        ).status_code == 409


async def test_the_check_answers_offline(tmp_path: Path, env: FormsEnv) -> None:
    parts, agent = _agent(InProcessCloud(env.kiosk), tmp_path)
    async with agent:
        assert (await agent.get("/kiosk/api/forms/personal-info")).status_code == 200
        parts.cloud = KioskCloud(None)  # the network goes down mid-form
        parts.session.put("idcard", CARD)
        r = await agent.post("/kiosk/api/forms/personal-info/check", json={"data": {"phone": "1"}})
        assert r.status_code == 200
        assert {p["field"] for p in r.json()["problems"]} == {"phone", "address"}
        listing = await agent.get("/kiosk/api/forms")
        assert (listing.status_code, listing.json()["code"]) == (503, "cloud_unreachable")


async def test_the_phone_data_comes_back_once_and_merges(env: FormsEnv, tmp_path: Path) -> None:
    parts, agent = _agent(InProcessCloud(env.kiosk), tmp_path)
    async with agent:
        assert (await agent.get("/kiosk/api/forms/personal-info")).status_code == 200
        made = await agent.post(
            "/kiosk/api/forms/personal-info/handoff", json={"data": {"work_unit": "市政务中心"}}
        )
        assert made.status_code == 201, made.text
        assert "url" not in made.json()  # the token is only in the QR code
        qr = await agent.get(made.json()["qr"])
        assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
        assert (await agent.get("/kiosk/api/forms/handoff")).json()["state"] == "waiting"

        held = parts.session.get(forms.HANDOFF_KEY)
        sent = await env.public.post(
            f"/api/v1/phone/forms/{token_of(held['url'])}", json={"data": TYPED}
        )
        assert sent.status_code == 201, sent.text
        back = (await agent.get("/kiosk/api/forms/handoff")).json()
        assert back == {"state": "filled", "data": {"work_unit": "市政务中心", **TYPED}}
        assert (await agent.get("/kiosk/api/forms/handoff")).status_code == 404
        parts.session.clear()
        assert parts.session.get(forms.DATA_KEY) is None
