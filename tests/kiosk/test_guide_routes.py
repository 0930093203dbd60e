"""``/kiosk/api/guide/...`` on the kiosk's agent: search and item answered offline from the
catalogue held, situations decided by the very rule the cloud uses, review points kept off
the screen, bad input refused plainly, printing relayed to the cloud (a stand-in here until
the catalogue helper's print route is merged)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from edge_agent.config import AgentConfig, parse_config
from edge_agent.hall import HallContent
from edge_agent.kiosk import KioskParts
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.guide import guide_of, pull_of, routes
from edge_agent.kiosk.guide_views import qr_svg
from edge_agent.kiosk.session import KioskSession
from fleet.guide import applicable
from protocols.guide import CATALOGUE
from tests.kiosk.guide_agent_kit import SITE_A, body_for, catalogue, fund_withdrawal


@dataclass
class View:
    config: AgentConfig
    peripherals: dict[str, Any] = field(default_factory=dict)
    connected: asyncio.Event = field(default_factory=asyncio.Event)


def kiosk_config(data: Path, cloud_url: str) -> AgentConfig:
    return parse_config(
        {
            "device_id": "kiosk-g1",
            "role": "kiosk",
            "site": SITE_A,
            "data_dir": str(data),
            "mqtt": {"url": "mqtt://127.0.0.1:1", "username": "kiosk-g1", "password": "x"},
            "cloud": {"url": cloud_url},
        },
        source="test",
    )


@asynccontextmanager
async def agent_api(
    tmp_path: Path, *, loaded: bool = True, cloud_url: str = "http://127.0.0.1:9"
) -> AsyncIterator[tuple[httpx.AsyncClient, KioskParts]]:
    cfg = kiosk_config(tmp_path, cloud_url)
    hall = HallContent(SITE_A, tmp_path, cloud_url=None, kinds={CATALOGUE})
    parts = KioskParts(View(cfg), KioskCloud(cloud_url), KioskSession(tmp_path / "s"), hall)
    app = Starlette(routes=routes(parts))
    if loaded:
        data = catalogue(1).model_dump_json().encode()
        body = body_for(SITE_A, data, 1)
        hall.blobs.directory.mkdir(parents=True, exist_ok=True)
        hall.blobs.path(body.blob.sha256).write_bytes(data)
        hall.accept(CATALOGUE, body)
        async with asyncio.timeout(10):
            await guide_of(parts).wait_version(1)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kiosk") as client:
        yield client, parts
    await pull_of(parts).wait()  # a pull started by a request has ended
    await parts.cloud.close()


async def test_search_answers_ranked_rows_of_the_catalogue_held(tmp_path: Path) -> None:
    async with agent_api(tmp_path) as (api, _):
        r = await api.get("/kiosk/api/guide/search", params={"q": "gjj", "object": "person"})
        assert r.status_code == 200
        body = r.json()
        assert (body["ready"], body["version"], body["sample"], body["total"]) == (True, 1, True, 1)
        row = body["items"][0]
        assert row["code"] == "GJJ-001" and row["department_name"] == "住房公积金管理中心"
        assert row["match"] == "initials" and row["here"] is True
        info = (await api.get("/kiosk/api/guide/info")).json()
        assert [t["code"] for t in info["themes"]] == ["zf", "yl", "hj"]
        r = await api.get("/kiosk/api/guide/search", params={"limit": "x"})
        assert r.status_code == 422 and r.json()["code"] == "bad_limit"


async def test_without_a_catalogue_the_screen_is_told_so(tmp_path: Path) -> None:
    async with agent_api(tmp_path, loaded=False) as (api, _):
        body = (await api.get("/kiosk/api/guide/search", params={"q": "gjj"})).json()
        assert body["ready"] is False and body["items"] == [] and body["version"] is None
        r = await api.get("/kiosk/api/guide/items/GJJ-001")
        assert r.status_code == 503 and r.json()["code"] == "guide_not_ready"
        assert "稍后" in r.json()["message"]


async def test_an_item_has_its_windows_here_and_no_review_points(tmp_path: Path) -> None:
    async with agent_api(tmp_path) as (api, _):
        item = (await api.get("/kiosk/api/guide/items/GJJ-001")).json()
        assert item["windows_here"] == ["7", "8"] and item["here"] is True
        assert "review_points" not in item
        assert item["public_url"] == "http://127.0.0.1:9/g/GJJ-001"
        r = await api.get("/kiosk/api/guide/items/NOPE-1")
        assert r.status_code == 404 and r.json()["code"] == "guide_item_unknown"
        qr = await api.get("/kiosk/api/guide/items/GJJ-001/qr.svg")
        assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
        assert qr.content == qr_svg("http://127.0.0.1:9/g/GJJ-001")


async def test_the_qr_carries_the_answers_so_far_to_the_phone(tmp_path: Path) -> None:
    async with agent_api(tmp_path) as (api, _):
        path = "/kiosk/api/guide/items/GJJ-001/qr.svg"
        qr = await api.get(path, params={"reason": "buy", "loan": "no"})
        assert qr.content == qr_svg("http://127.0.0.1:9/g/GJJ-001?reason=buy&loan=no")
        bad = await api.get(path, params={"reason": "<script>"})
        assert bad.status_code == 422 and bad.json()["code"] == "bad_answers"


async def test_situation_answers_change_the_materials_as_the_cloud_decides(
    tmp_path: Path,
) -> None:
    path = "/kiosk/api/guide/items/GJJ-001/situation"
    async with agent_api(tmp_path) as (api, _):
        cases = ({}, {"reason": "buy"}, {"reason": "buy", "loan": "yes"}, {"reason": "rent"})
        for answers in cases:
            body = (await api.post(path, json={"answers": answers})).json()
            same = applicable(fund_withdrawal(), answers)  # the cloud's rule (fleet.guide)
            assert [m["code"] for m in body["materials"]] == [m.code for m in same.materials]
            assert [q["code"] for q in body["questions"]] == [q.code for q in same.questions]
            assert body["complete"] is (not same.unanswered)
        rent = (await api.post(path, json={"answers": {"reason": "rent", "loan": "yes"}})).json()
        assert [m["code"] for m in rent["materials"]] == ["id", "lease"]
        assert rent["answers"] == {"reason": "rent"}  # loan is not asked when renting


async def test_bad_answers_are_refused_plainly(tmp_path: Path) -> None:
    path = "/kiosk/api/guide/items/GJJ-001/situation"
    async with agent_api(tmp_path) as (api, _):
        for bad in (b"[1]", b"{not json", json.dumps({"answers": {"reason": 3}}).encode()):
            r = await api.post(path, content=bad, headers={"content-type": "application/json"})
            assert r.status_code == 422 and r.json()["code"] == "bad_answers", bad


class StandInCloud:
    """``POST /api/v1/kiosk/guide/{code}/print`` as the cloud answers it: a job id."""

    def __init__(self, catalogue: bytes | None = None) -> None:
        self.catalogue = catalogue  # GET /api/v1/kiosk/catalogue answers it (None: 404)
        self.pulls = 0
        self.calls: list[tuple[str, Any]] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    async def _print(self, request: Request) -> JSONResponse:
        self.calls.append((request.path_params["code"], await request.json()))
        return JSONResponse({"job_id": "job-1"}, status_code=202)

    async def _catalogue(self, request: Request) -> Response:
        self.pulls += 1
        if self.catalogue is None:
            return JSONResponse({"code": "guide_not_published"}, status_code=404)
        return Response(self.catalogue, media_type="application/json")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StandInCloud]:
        app = Starlette(
            routes=[
                Route("/api/v1/kiosk/guide/{code}/print", self._print, methods=["POST"]),
                Route("/api/v1/kiosk/catalogue", self._catalogue, methods=["GET"]),
            ]
        )
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve(sockets=[self._sock]))
        try:
            yield self
        finally:
            server.should_exit = True
            await task
            self._sock.close()


async def test_print_is_relayed_with_the_answers(tmp_path: Path) -> None:
    async with (
        StandInCloud().running() as cloud,
        agent_api(tmp_path, cloud_url=cloud.url) as (api, _),
    ):
        answers = {"reason": "buy", "loan": "no"}
        r = await api.post("/kiosk/api/guide/items/GJJ-001/print", json={"answers": answers})
        assert r.status_code == 202 and r.json() == {"job_id": "job-1"}
        assert cloud.calls == [("GJJ-001", {"answers": answers})]


async def test_print_without_the_cloud_says_so(tmp_path: Path) -> None:
    async with agent_api(tmp_path, cloud_url="http://127.0.0.1:9") as (api, _):
        r = await api.post("/kiosk/api/guide/items/GJJ-001/print", json={"answers": {}})
        assert r.status_code == 503 and r.json()["code"] == "cloud_unreachable"


async def test_holding_none_the_kiosk_pulls_the_catalogue_from_the_cloud(
    tmp_path: Path,
) -> None:
    data = catalogue(4).model_dump_json().encode()
    async with (
        StandInCloud(data).running() as cloud,
        agent_api(tmp_path, loaded=False, cloud_url=cloud.url) as (api, parts),
    ):
        first = (await api.get("/kiosk/api/guide/info")).json()
        assert first["ready"] is False  # the screen says it is downloading; the pull runs
        assert await pull_of(parts).wait() is True
        async with asyncio.timeout(10):
            await guide_of(parts).wait_version(4)
        body = (await api.get("/kiosk/api/guide/search", params={"q": "gjj"})).json()
        assert body["version"] == 4 and body["items"][0]["code"] == "GJJ-001"
        assert parts.hall is not None and parts.hall.store.version(CATALOGUE) == 4
        assert cloud.pulls == 1  # held now: not asked again


async def test_a_failed_pull_is_not_repeated_at_every_touch(tmp_path: Path) -> None:
    async with (
        StandInCloud(None).running() as cloud,
        agent_api(tmp_path, loaded=False, cloud_url=cloud.url) as (api, parts),
    ):
        await api.get("/kiosk/api/guide/info")
        assert await pull_of(parts).wait() is False
        for _ in range(3):
            assert (await api.get("/kiosk/api/guide/info")).json()["ready"] is False
            await pull_of(parts).wait()  # had one started, it has ended
        assert cloud.pulls == 1 and pull_of(parts).failures == 1
        cloud.catalogue = b'{"version": 1}'  # answered, but not a catalogue: never loaded
        pull_of(parts).every_s = 0.0
        await api.get("/kiosk/api/guide/info")
        assert await pull_of(parts).wait() is False
        assert guide_of(parts).index is None and pull_of(parts).failures == 2
