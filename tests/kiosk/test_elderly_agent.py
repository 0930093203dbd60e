"""The kiosk agent's 高龄补贴 routes against a real cloud (in-process, the kiosk's device
credentials) and the simulators: the age refused on the agent before any call, the form's
card fields taken from the agent's card whatever the browser sent, and the clip: recorded
from the camera, never left on disk — after an answer, a camera failure or a clear while
recording."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import httpx
import pytest
from starlette.applications import Starlette

from edge_agent.drivers.video import CaptureFailed
from edge_agent.kiosk import elderly
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.parts import KioskParts, KioskView
from edge_agent.kiosk.session import KioskSession
from simulators.dept_people import LI_GUIYING
from tests.kiosk.elderly_kit import Env, SyntheticCamera, elderly_env, form


class InProcessCloud(KioskCloud):
    def __init__(self, kiosk: httpx.AsyncClient) -> None:
        super().__init__("http://kfleet")
        self._client = kiosk


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    async with elderly_env(tmp_path, amqtt_url) as e:
        yield e


def agent(env: Env, tmp_path: Path, camera: Any = None) -> tuple[KioskParts, httpx.AsyncClient]:
    view = SimpleNamespace(peripherals={"camera": camera} if camera else {})
    parts = KioskParts(
        view=cast(KioskView, view),
        cloud=InProcessCloud(env.kiosk),
        session=KioskSession(tmp_path / "session"),
    )
    app = Starlette(routes=elderly.routes(parts))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://agent")
    return parts, client


def card_of(data: dict[str, Any]) -> dict[str, str]:
    return {
        "id_number": data["id_number"],
        "name": data["name"],
        "sex": data["sex"],
        "birth": data["birth"],
        "address": data["address"],
        "read_at": "2026-12-07T01:00:00+00:00",
    }


def typed(data: dict[str, Any]) -> dict[str, Any]:
    """What the browser sends: the citizen's own fields only."""
    return {k: data[k] for k in ("phone", "community", "bank", "bank_card", "declare")}


async def test_without_a_card_nothing_goes(env: Env, tmp_path: Path) -> None:
    _, client = agent(env, tmp_path)
    assert (await client.get("/kiosk/api/elderly/status")).json() == {"card": False}
    r = await client.post("/kiosk/api/elderly/register", json={"data": {}})
    assert r.status_code == 409 and r.json()["code"] == "no_card"


async def test_a_69_year_old_is_refused_on_the_agent(env: Env, tmp_path: Path) -> None:
    parts, client = agent(env, tmp_path)
    data = form(70, days=1)
    parts.session.put("idcard", card_of(data))
    status = (await client.get("/kiosk/api/elderly/status")).json()
    assert status["eligible"] is False and status["age"] == 69
    assert "您今年69周岁" in status["reason"]["zh"]
    assert data["id_number"] not in str(status) and status["masked"]["name"] == "韩*"
    r = await client.post("/kiosk/api/elderly/register", json={"data": typed(data)})
    assert r.status_code == 422 and r.json()["code"] == "elderly_not_eligible"
    assert env.civil.answers == []  # refused before any call


async def test_the_card_fields_are_the_agents(env: Env, tmp_path: Path) -> None:
    parts, client = agent(env, tmp_path)
    data = form(82)
    parts.session.put("idcard", card_of(data))
    bad = {**typed(data), "bank_card": "6222021234567890127"}
    check = (await client.post("/kiosk/api/elderly/check", json={"data": bad})).json()
    assert [p["field"] for p in check["problems"]] == ["bank_card"]
    forged = {**typed(data), "id_number": "632801199207084628", "name": "马丽"}
    r = await client.post("/kiosk/api/elderly/register", json={"data": forged})
    assert r.status_code == 201, r.text
    [(id_number, got)] = env.civil.allowance.applications.items()
    assert id_number == data["id_number"] and got["name"] == "韩德顺"
    assert got["csrq"] == data["birth"] and got["hjdz"] == data["address"]


def li_card() -> dict[str, str]:
    c = LI_GUIYING
    return {
        "id_number": c.id_number,
        "name": c.name,
        "sex": c.sex,
        "birth": c.birth,
        "address": c.address,
        "read_at": "2026-12-07T01:00:00+00:00",
    }


def clips_left(parts: KioskParts) -> list[Path]:
    return list(parts.session.temp_dir.glob("face-*"))


async def test_a_certification_records_sends_and_deletes_the_clip(env: Env, tmp_path: Path) -> None:
    parts, client = agent(env, tmp_path, SyntheticCamera())
    parts.session.put("idcard", li_card())
    started = await client.post("/kiosk/api/elderly/cert/start")
    assert started.status_code == 201 and set(started.json()) == {"actions", "seconds"}
    r = await client.post("/kiosk/api/elderly/cert/record", timeout=60)
    assert r.status_code == 200 and r.json()["result"] == "pass", r.text
    [clip] = env.face.received
    assert clip.actions == started.json()["actions"] and clip.frames == 30
    assert clips_left(parts) == []
    again = await client.post("/kiosk/api/elderly/cert/record")
    assert again.status_code == 409  # the challenge went with its use


class BrokenCamera:
    kind = "av_camera"

    async def read(self) -> Any:
        raise CaptureFailed("camera cam", "it returned no frame", "Replug it")


async def test_a_camera_that_fails_leaves_nothing(env: Env, tmp_path: Path) -> None:
    parts, client = agent(env, tmp_path, BrokenCamera())
    parts.session.put("idcard", li_card())
    assert (await client.post("/kiosk/api/elderly/cert/start")).status_code == 201
    r = await client.post("/kiosk/api/elderly/cert/record")
    assert r.status_code == 503 and r.json()["code"] == "camera_failed"
    assert clips_left(parts) == [] and env.face.received == []


async def test_no_camera_says_so(env: Env, tmp_path: Path) -> None:
    parts, client = agent(env, tmp_path)
    parts.session.put("idcard", li_card())
    assert (await client.post("/kiosk/api/elderly/cert/start")).status_code == 201
    r = await client.post("/kiosk/api/elderly/cert/record")
    assert r.status_code == 503 and r.json()["code"] == "camera_missing"


class GatedCamera(SyntheticCamera):
    """Delivers frames until a clear is wanted: then waits for it to happen."""

    def __init__(self) -> None:
        super().__init__()
        self.reading = asyncio.Event()
        self.cleared = asyncio.Event()

    async def read(self) -> Any:
        self.reading.set()
        await self.cleared.wait()
        return await super().read()


async def test_a_clear_while_recording_sends_nothing(env: Env, tmp_path: Path) -> None:
    camera = GatedCamera()
    parts, client = agent(env, tmp_path, camera)
    parts.session.put("idcard", li_card())
    assert (await client.post("/kiosk/api/elderly/cert/start")).status_code == 201
    recording = asyncio.create_task(client.post("/kiosk/api/elderly/cert/record", timeout=60))
    await camera.reading.wait()
    parts.session.clear()  # 退出 / the idle timeout
    camera.cleared.set()
    r = await recording
    assert r.status_code == 409 and env.face.received == []
    assert not any((tmp_path / "session").rglob("face-*"))
