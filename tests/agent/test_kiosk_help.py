"""The kiosk's 视频帮办 routes: the cloud's call answers reach the browser without the view token
(the agent keeps it), the browser's WHEP offer is signed with it and its Location points back at
the agent, bad input stops at the agent, the call button's presses are long-polled, and a
missing cloud is a plain 503.

The cloud here is a small recording stand-in server (helpdesk's and relay's routes are tested
on their own)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from aiohttp import web
from starlette.applications import Starlette

from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.help import routes
from edge_agent.kiosk.parts import KioskParts, KioskView
from edge_agent.kiosk.session import KioskSession

CALL = "hc-" + "0a" * 12
TOKEN = "view-token-" + "x" * 20


@dataclass
class Button:
    """A call button as the kiosk sees it: a kind and its press counter."""

    presses: int = 0
    kind: str = "call_button"

    def counters(self) -> Mapping[str, int]:
        return {"presses": self.presses}


@dataclass
class View:
    peripherals: dict[str, Any] = field(default_factory=lambda: {"btn": Button()})


@dataclass
class StandInCloud:
    got: list[tuple[str, str, str, Any]] = field(default_factory=list)
    state: str = "active"

    async def handle(self, request: web.Request) -> web.Response:
        body: Any = await request.text()
        auth = request.headers.get("Authorization", "")
        self.got.append((request.method, request.path_qs, auth, body))
        if request.path.endswith("/whep"):
            where = f"/api/v1/media/streams/call-{CALL}-op/whep/sess-1"
            return web.Response(
                text="v=0 answer",
                status=201,
                content_type="application/sdp",
                headers={"Location": where},
            )
        if request.method == "DELETE":
            return web.Response(status=204)
        call = {"call_id": CALL, "state": self.state, "position": 0, "operator_name": "李"}
        return web.json_response(call | {"operator_view_token": TOKEN}, status=201)


@dataclass
class Kiosk:
    cloud: StandInCloud
    view: View
    http: httpx.AsyncClient


@pytest.fixture
async def kiosk(tmp_path: Path) -> AsyncIterator[Kiosk]:
    cloud = StandInCloud()
    app = web.Application()
    app.router.add_route("*", "/api/v1/{tail:.*}", cloud.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    view = View()
    parts = KioskParts(
        view=cast(KioskView, view),
        cloud=KioskCloud(f"http://127.0.0.1:{port}", timeout_s=5),
        session=KioskSession(tmp_path / "session"),
    )
    transport = httpx.ASGITransport(app=Starlette(routes=routes(parts)))
    async with httpx.AsyncClient(transport=transport, base_url="http://kiosk") as http:
        yield Kiosk(cloud, view, http)
    await parts.cloud.close()
    await runner.cleanup()


CREATE = {"request_id": "help-0011", "lang": "zh-CN", "screen": "home", "source": "tile"}


async def test_the_view_token_stays_in_the_agent_and_signs_the_whep_offer(kiosk: Kiosk) -> None:
    r = await kiosk.http.post("/kiosk/api/help/calls", json=CREATE)
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    assert r.json()["call_id"] == CALL and r.json()["operator_video"] is True
    assert "operator_view_token" not in r.json() and TOKEN not in r.text
    assert kiosk.cloud.got[0][:2] == ("POST", "/api/v1/kiosk/help/calls")

    r = await kiosk.http.get(f"/kiosk/api/help/calls/{CALL}", params={"wait_s": 99})
    assert TOKEN not in r.text and r.json()["state"] == "active"
    assert kiosk.cloud.got[-1][1] == f"/api/v1/kiosk/help/calls/{CALL}?wait_s=25"  # capped

    sdp = {"Content-Type": "application/sdp"}
    r = await kiosk.http.post(
        f"/kiosk/api/help/calls/{CALL}/whep", content=b"v=0 offer", headers=sdp
    )
    assert (r.status_code, r.text) == (201, "v=0 answer")
    assert r.headers["location"] == f"/kiosk/api/help/calls/{CALL}/whep/sess-1"
    method, path, auth, body = kiosk.cloud.got[-1]
    assert (method, path, auth, body) == (
        "POST",
        f"/api/v1/media/streams/call-{CALL}-op/whep",
        f"Bearer {TOKEN}",
        "v=0 offer",
    )
    r = await kiosk.http.delete(f"/kiosk/api/help/calls/{CALL}/whep/sess-1")
    assert r.status_code == 204
    assert kiosk.cloud.got[-1][:3] == (
        "DELETE",
        f"/api/v1/media/streams/call-{CALL}-op/whep/sess-1",
        f"Bearer {TOKEN}",
    )


async def test_an_ended_call_forgets_its_token(kiosk: Kiosk) -> None:
    await kiosk.http.post("/kiosk/api/help/calls", json=CREATE)
    kiosk.cloud.state = "ended"
    r = await kiosk.http.post(f"/kiosk/api/help/calls/{CALL}/cancel")
    assert r.json()["state"] == "ended" and r.json()["operator_video"] is False
    sdp = {"Content-Type": "application/sdp"}
    r = await kiosk.http.post(f"/kiosk/api/help/calls/{CALL}/whep", content=b"v=0", headers=sdp)
    assert (r.status_code, r.json()["code"]) == (409, "no_operator_video")
    assert not any(g[1].endswith("/whep") for g in kiosk.cloud.got)


@pytest.mark.parametrize(
    ("method", "path", "kw", "status", "code"),
    [
        (
            "POST",
            "/kiosk/api/help/calls",
            {"json": {**CREATE, "request_id": "a b"}},
            422,
            "request_id_invalid",
        ),
        (
            "POST",
            "/kiosk/api/help/calls",
            {"json": {**CREATE, "source": "phone"}},
            422,
            "call_invalid",
        ),
        ("GET", "/kiosk/api/help/calls/hc-XYZ", {}, 404, "call_not_found"),
        (
            "POST",
            f"/kiosk/api/help/calls/{CALL}/whep",
            {"json": {"sdp": "v=0"}},
            415,
            "sdp_expected",
        ),
        (
            "POST",
            f"/kiosk/api/help/calls/{CALL}/whep",
            {"content": b"", "headers": {"Content-Type": "application/sdp"}},
            422,
            "sdp_invalid",
        ),
    ],
)
async def test_bad_input_stops_at_the_agent(
    kiosk: Kiosk, method: str, path: str, kw: dict[str, Any], status: int, code: str
) -> None:
    r = await kiosk.http.request(method, path, **kw)
    assert (r.status_code, r.json()["code"]) == (status, code)
    assert r.json()["message"] and r.json()["message_en"]
    assert kiosk.cloud.got == []


async def test_the_call_button_press_ends_a_waiting_poll(kiosk: Kiosk) -> None:
    r = await kiosk.http.get("/kiosk/api/help/button", params={"wait_s": 0})
    assert r.json() == {"presses": 0, "buttons": 1, "active_call": None}
    poll = asyncio.create_task(kiosk.http.get("/kiosk/api/help/button?after=0&wait_s=20"))
    done, _ = await asyncio.wait({poll}, timeout=0.3)
    assert not done, "the poll answered before any press"
    kiosk.view.peripherals["btn"].presses += 1
    async with asyncio.timeout(5):  # well inside the 20 s the poll would otherwise wait
        r = await poll
    assert r.json()["presses"] == 1


async def test_no_cloud_is_a_plain_503(tmp_path: Path) -> None:
    parts = KioskParts(
        view=cast(KioskView, View()),
        cloud=KioskCloud("http://127.0.0.1:9", timeout_s=2),
        session=KioskSession(tmp_path / "s"),
    )
    transport = httpx.ASGITransport(app=Starlette(routes=routes(parts)))
    async with httpx.AsyncClient(transport=transport, base_url="http://kiosk") as http:
        r = await http.post("/kiosk/api/help/calls", json=CREATE)
    await parts.cloud.close()
    assert (r.status_code, r.json()["code"]) == (503, "cloud_unreachable")
    assert "稍后再试" in r.json()["message"]


async def test_a_kiosk_without_a_call_button_answers_at_once(kiosk: Kiosk) -> None:
    kiosk.view.peripherals.clear()
    async with asyncio.timeout(5):  # not the 20 s asked for
        r = await kiosk.http.get("/kiosk/api/help/button?after=0&wait_s=20")
    assert r.json() == {"presses": 0, "buttons": 0, "active_call": None}
