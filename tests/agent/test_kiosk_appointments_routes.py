"""The agent's appointment routes: the person is the card read in this session (the browser
never sends an ID number, and what it sends as one is ignored); without a card the screen is
told to ask for it; the cloud's answers pass through unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from edge_agent.kiosk.appointments import routes
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.session import KioskSession

CARD = {"id_number": "632801199001011234", "name": "张三", "sex": "男"}


class StandInCloud:
    """Records each call and answers 200 with what it was asked (a stand-in for the cloud)."""

    cloud_url = "http://cloud"

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any, Any]] = []

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        timeout_s: float | None = None,
        content: bytes | None = None,
        content_type: str = "application/octet-stream",
    ) -> httpx.Response:
        self.calls.append((method, path, json, params))
        return httpx.Response(201, json={"ref": "Y261208-0001", "asked": path})


def _client(tmp_path: Path) -> tuple[httpx.AsyncClient, KioskParts, StandInCloud]:
    cloud = StandInCloud()
    parts = KioskParts(view=None, cloud=cloud, session=KioskSession(tmp_path))  # type: ignore[arg-type]
    app = Starlette(routes=routes(parts))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kiosk")
    return client, parts, cloud


async def test_without_a_card_the_screen_is_asked_for_one(tmp_path: Path) -> None:
    client, _, cloud = _client(tmp_path)
    async with client:
        for method, path in (
            ("POST", "/kiosk/api/appointments"),
            ("GET", "/kiosk/api/appointments/mine"),
            ("POST", "/kiosk/api/appointments/Y261208-0001/check-in"),
        ):
            r = await client.request(method, path, json={} if method == "POST" else None)
            assert (r.status_code, r.json()["code"]) == (409, "card_needed"), path
            assert r.json()["message"] == "请先刷身份证。"
    assert cloud.calls == []


async def test_the_person_is_the_card_never_the_browser(tmp_path: Path) -> None:
    client, parts, cloud = _client(tmp_path)
    parts.session.put("idcard", CARD)
    async with client:
        body = {"service": "household", "slot_id": 3, "phone": "13800138000", "id_number": "X"}
        r = await client.post("/kiosk/api/appointments", json=body)
        assert (r.status_code, r.json()["ref"]) == (201, "Y261208-0001")
        await client.get("/kiosk/api/appointments/mine")
        await client.post("/kiosk/api/appointments/Y261208-0001/cancel")
        await client.get("/kiosk/api/appointments/slots?service=household&date=bad")
    sent = {(m, p): (j, q) for m, p, j, q in cloud.calls}
    assert sent[("POST", "/api/v1/kiosk/appointments")][0] == {
        "service": "household",
        "slot_id": 3,
        "phone": "13800138000",
        "id_number": CARD["id_number"],
        "name": "张三",
    }
    mine = sent[("POST", "/api/v1/kiosk/appointments/mine")]
    assert mine == ({"id_number": CARD["id_number"]}, None)  # in the body, never in a URL
    cancel = sent[("POST", "/api/v1/kiosk/appointments/Y261208-0001/cancel")]
    assert cancel[0] == {"id_number": CARD["id_number"]}
    assert sent[("GET", "/api/v1/kiosk/appointments/slots")][1] == {"service": "household"}


async def test_a_malformed_reference_never_reaches_the_cloud(tmp_path: Path) -> None:
    client, parts, cloud = _client(tmp_path)
    parts.session.put("idcard", CARD)
    async with client:
        r = await client.post("/kiosk/api/appointments/../../admin/check-in")
        assert r.status_code == 404
        r = await client.post("/kiosk/api/appointments/Y261208-0001/delete")
        assert r.status_code == 404
    assert cloud.calls == []
