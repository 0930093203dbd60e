"""``/kiosk/api/apply/...`` on the kiosk's agent with a synthetic 高拍仪: the ID card is needed
to start; a scanned page waits to be accepted or retaken; a blank page is refused and nothing
kept; the half-finished application survives an agent restart (the card comes back into the
new session), in files only the agent may read, and the session's clear deletes it."""

from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from starlette.applications import Starlette

from edge_agent.drivers.doc_camera import DocCamera, DocCameraConfig
from edge_agent.kiosk import KioskParts, apply
from edge_agent.kiosk.apply_store import Draft, DraftStore
from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.session import KioskSession
from simulators.doc_camera import SyntheticFrameSource
from tests.kiosk.test_guide_routes import View, agent_api, kiosk_config

CARD = {
    "id_number": "632801198805120137",
    "name": "王晓明",
    "sex": "男",
    "birth": "1988-05-12",
    "address": "青海省格尔木市黄河路1号",
    "read_at": "2026-12-07T01:00:00+00:00",
}
API = "/kiosk/api/apply"


def camera(source: SyntheticFrameSource) -> DocCamera:
    cfg = DocCameraConfig(
        type="doc_camera_uvc",
        id="doccam",
        device="synthetic:plain_desk",
        width=960,
        height=540,
        warmup_frames=0,
        flush_frames=0,
    )
    return DocCamera(cfg, source)


@asynccontextmanager
async def apply_agent(
    tmp_path: Path, source: SyntheticFrameSource
) -> AsyncIterator[tuple[httpx.AsyncClient, KioskParts]]:
    """The guide's test agent (catalogue loaded) with the apply routes and a camera."""
    async with agent_api(tmp_path) as (_, guide_parts):
        parts = restarted(tmp_path, guide_parts, source)
        async with client_of(parts) as client:
            yield client, parts


def restarted(tmp_path: Path, before: KioskParts, source: SyntheticFrameSource) -> KioskParts:
    """A new agent on the same data dir (new session, new state), the catalogue held."""
    view = View(kiosk_config(tmp_path, "http://127.0.0.1:9"), {"doccam": camera(source)})
    parts = KioskParts(view, KioskCloud(None), KioskSession(tmp_path / "s"), before.hall)
    parts.state["guide"] = before.state["guide"]
    return parts


def client_of(parts: KioskParts) -> httpx.AsyncClient:
    app = Starlette(routes=apply.routes(parts))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kiosk")


async def test_the_card_is_needed_to_start(tmp_path: Path) -> None:
    async with apply_agent(tmp_path, SyntheticFrameSource("plain_desk")) as (api, _):
        r = await api.post(f"{API}/start", json={"item": "GJJ-001"})
        assert (r.status_code, r.json()["code"]) == (409, "no_card")
        r = await api.post(f"{API}/start", json={"item": "NOPE"})
        assert r.status_code == 404


async def test_scan_accept_restart_and_clear(tmp_path: Path) -> None:
    source = SyntheticFrameSource("plain_desk", size=(960, 540))
    async with apply_agent(tmp_path, source) as (api, parts):
        parts.session.put("idcard", dict(CARD))
        r = await api.post(f"{API}/start", json={"item": "GJJ-001"})
        assert r.status_code == 201, r.text
        assert r.json()["draft"]["card"]["name"] == "王*"  # the screen sees the masked card
        r = await api.put(f"{API}/answers", json={"answers": {"reason": "rent"}})
        assert [m["code"] for m in r.json()["draft"]["materials"]] == ["id", "lease"]

        source.blank = True
        r = await api.post(f"{API}/materials/id/scan")
        assert (r.status_code, r.json()["code"]) == (422, "blank_page")
        assert "空白" in r.json()["message"]
        assert (await api.get(f"{API}/draft")).json()["draft"]["pending"] is None
        source.blank = False

        scanned = await api.post(f"{API}/materials/id/scan")
        assert scanned.status_code == 201, scanned.text
        page = scanned.json()["page"]
        shown = await api.get(f"{API}/pages/{page}.jpg")
        assert (
            shown.headers["content-type"] == "image/jpeg" and shown.content[:3] == b"\xff\xd8\xff"
        )
        r = await api.post(f"{API}/materials/id/pages/{page}/accept")
        assert r.json()["draft"]["pages"] == {"id": [page]}
        root = tmp_path / "kiosk" / "apply"
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert {stat.S_IMODE(p.stat().st_mode) for p in root.iterdir()} == {0o600}

    again = restarted(tmp_path, parts, source)  # the agent restarts: a new session, same disk
    async with client_of(again) as api:
        draft = (await api.get(f"{API}/draft")).json()["draft"]
        assert draft["pages"] == {"id": [page]} and draft["answers"] == {"reason": "rent"}
        assert (await api.get(f"{API}/pages/{page}.jpg")).content == shown.content
        r = await api.post(f"{API}/materials/lease/scan")
        assert r.status_code == 201
        assert again.session.get("idcard") == CARD  # back for the submit
        again.session.clear()  # 退出 or the idle timeout
        assert (await api.get(f"{API}/draft")).json() == {"draft": None}
        assert not (tmp_path / "kiosk" / "apply").exists()


def test_a_draft_older_than_the_idle_rule_is_deleted(tmp_path: Path) -> None:
    now = [1000.0]
    store = DraftStore(tmp_path / "apply", keep_s=80, clock=lambda: now[0])
    store.save(Draft(item="GJJ-001", card=dict(CARD)))
    page = store.add_page(b"\xff\xd8\xffpage")
    now[0] += 79
    assert store.load() is not None and store.read_page(page) == b"\xff\xd8\xffpage"
    now[0] += 2
    assert store.load() is None and not (tmp_path / "apply").exists()
