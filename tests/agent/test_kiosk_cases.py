"""The kiosk's case-progress routes: the ID number of a card read at this kiosk goes to the
cloud without passing through the browser, a typed one is checked with the GB 11643 check
digit before any call, and the cloud's answers (or its absence) reach the screen as they are.

The cloud here is a small recording stand-in server (the real cloud's side is covered by
tests/kiosk/test_cases_api.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from aiohttp import web
from starlette.applications import Starlette

from edge_agent.kiosk.cases import routes
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.parts import KioskParts, KioskView
from edge_agent.kiosk.session import KioskSession

WANG = "632801198805120137"


@dataclass
class StandInCloud:
    got: list[tuple[str, Any]] = field(default_factory=list)
    answer: tuple[int, dict[str, Any]] = (200, {"by": "id_number", "cases": []})

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append((request.path, await request.json()))
        return web.json_response(self.answer[1], status=self.answer[0])


@dataclass
class Kiosk:
    cloud: StandInCloud
    parts: KioskParts
    http: httpx.AsyncClient


@pytest.fixture
async def kiosk(tmp_path: Path) -> AsyncIterator[Kiosk]:
    cloud = StandInCloud()
    app = web.Application()
    app.router.add_post("/api/v1/kiosk/cases/{tail:.*}", cloud.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    parts = KioskParts(
        view=cast(KioskView, object()),
        cloud=KioskCloud(f"http://127.0.0.1:{port}", timeout_s=5),
        session=KioskSession(tmp_path / "session"),
    )
    transport = httpx.ASGITransport(app=Starlette(routes=routes(parts)))
    async with httpx.AsyncClient(transport=transport, base_url="http://kiosk") as http:
        yield Kiosk(cloud, parts, http)
    await parts.cloud.close()
    await runner.cleanup()


async def test_the_card_read_here_is_what_the_cloud_is_asked_about(kiosk: Kiosk) -> None:
    r = await kiosk.http.post("/kiosk/api/cases/lookup", json={"source": "card"})
    assert (r.status_code, r.json()["code"]) == (409, "no_card") and kiosk.cloud.got == []
    kiosk.parts.session.put("idcard", {"id_number": WANG, "name": "王晓明"})
    r = await kiosk.http.post("/kiosk/api/cases/lookup", json={"source": "card", "page": 2})
    assert r.status_code == 200 and r.json()["by"] == "id_number"
    assert kiosk.cloud.got == [("/api/v1/kiosk/cases/lookup", {"id_number": WANG, "page": 2})]
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("typed", ["632801198805120138", "6328011988", "63280119880512013Y"])
async def test_a_typed_id_number_with_a_wrong_digit_never_leaves_the_kiosk(
    kiosk: Kiosk, typed: str
) -> None:
    r = await kiosk.http.post("/kiosk/api/cases/lookup", json={"id_number": typed})
    assert (r.status_code, r.json()["code"]) == (422, "id_number_invalid")
    assert r.json()["message"] and r.json()["message_en"] and kiosk.cloud.got == []


async def test_typed_numbers_are_relayed_upper_cased(kiosk: Kiosk) -> None:
    await kiosk.http.post("/kiosk/api/cases/lookup", json={"id_number": "63280120040229057x"})
    await kiosk.http.post("/kiosk/api/cases/lookup", json={"case_no": " gem202611030012 "})
    bodies = [body for _, body in kiosk.cloud.got]
    assert bodies == [
        {"id_number": "63280120040229057X", "page": 1},
        {"case_no": "GEM202611030012"},
    ]
    r = await kiosk.http.post("/kiosk/api/cases/lookup", json={"case_no": "a b"})
    assert (r.status_code, r.json()["code"]) == (422, "lookup_needs_one")


async def test_the_clouds_refusal_is_passed_on_as_it_is(kiosk: Kiosk) -> None:
    said = {"code": "case_not_found", "citizen_message": "没有找到这个办件编号"}
    kiosk.cloud.answer = (404, said)
    r = await kiosk.http.post("/kiosk/api/cases/lookup", json={"case_no": "GEM209901010001"})
    assert (r.status_code, r.json()) == (404, said)


async def test_print_is_relayed_with_the_press_id(kiosk: Kiosk) -> None:
    kiosk.cloud.answer = (201, {"case_no": "GEM202611030012", "job_id": "j1"})
    r = await kiosk.http.post("/kiosk/api/cases/gem202611030012/print", json={"request_id": "p-1"})
    assert r.status_code == 201 and r.json()["job_id"] == "j1"
    bad = await kiosk.http.post("/kiosk/api/cases/GEM2026/print", json={"request_id": "no spaces"})
    assert bad.status_code == 201
    assert kiosk.cloud.got == [
        ("/api/v1/kiosk/cases/GEM202611030012/print", {"request_id": "p-1"}),
        ("/api/v1/kiosk/cases/GEM2026/print", {}),
    ]


async def test_no_cloud_says_so_plainly(tmp_path: Path) -> None:
    parts = KioskParts(
        view=cast(KioskView, object()),
        cloud=KioskCloud("http://127.0.0.1:9", timeout_s=2),
        session=KioskSession(tmp_path),
    )
    transport = httpx.ASGITransport(app=Starlette(routes=routes(parts)))
    async with httpx.AsyncClient(transport=transport, base_url="http://kiosk") as http:
        r = await http.post("/kiosk/api/cases/lookup", json={"case_no": "GEM209901010001"})
    await parts.cloud.close()
    assert (r.status_code, r.json()["code"]) == (503, "cloud_unreachable")
