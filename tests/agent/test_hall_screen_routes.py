"""The hall and window screens as the agent serves them: the pages (zh-CN and English, strict
CSP), the live stream that pushes the whole state at every accepted change, the verified
images, and the last content shown after a restart while the broker is down."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from kfleet.world.net import free_port
from tests.agent.hall_kit import (
    TIMEOUT,
    BlobServer,
    hall_config,
    live,
    plan,
    png,
    publish,
    running,
    site_of,
    until,
    windows,
)


async def next_state(lines: Any) -> dict[str, Any]:
    """The next ``content`` event of an SSE stream (``aiter_lines`` of a response)."""
    event = ""
    async for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == "content":
            return dict(json.loads(line[6:]))
    raise AssertionError("the stream ended")


async def test_pages_and_the_stream_push_every_change(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site, port = site_of(uid), free_port()
    red = png((200, 0, 0))
    async with BlobServer(f"hall-{uid}").running() as blobs:
        blobs.add(red)
        cfg = hall_config(mosquitto_url, uid, tmp_path / "d", blobs.url, port=port, window="3")
        async with (
            running(cfg) as agent,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as http,
        ):
            hall = (await http.get("/hall")).text
            assert '<html lang="zh-CN">' in hall and "正在叫号" in hall
            assert "Now calling" in (await http.get("/hall", params={"lang": "en"})).text
            window = await http.get("/window")  # the number from [screen] window
            assert 'data-number="3"' in window.text and "请对我的服务进行评价" in window.text
            assert "default-src 'none'" in window.headers["content-security-policy"]
            assert (await http.get("/window", params={"number": "3/../x"})).status_code == 400
            for asset in ("hall.js", "hall.css", "window.js", "window.css", "hall_live.js"):
                assert (await http.get(f"/screen/hall/{asset}")).status_code == 200
            assert (await http.get("/screen/hall/hall.html")).status_code == 404

            async with http.stream("GET", "/api/v1/screen/hall/events") as r:
                assert r.headers["content-type"].startswith("text/event-stream")
                lines = r.aiter_lines()
                first = await next_state(lines)
                assert first["plan"] is None and first["calls"] == []
                await publish(mosquitto_url, site, live(site, 1, [("A012", "3")]))
                pushed = await next_state(lines)
                assert pushed["calls"][0]["ticket"] == "A012"
                assert pushed["queues"][0] == {
                    "code": "a", "name": "综合业务", "waiting": 4, "expected_wait_min": None
                }  # fmt: skip
                await publish(mosquitto_url, site, plan(site, 1, red, here=f"hall-{uid}"))
                while (state := await next_state(lines))["plan"] is None:
                    pass  # the plan shows once its image is verified
                assert state["plan"]["here"] == {"x": 0.5, "y": 0.9}
            image = await http.get(state["plan"]["image"])
            assert image.content == red and image.headers["content-type"] == "image/png"
            assert image.headers["x-content-type-options"] == "nosniff"
            assert (await http.get("/screen/hall/blob/" + "0" * 64)).status_code == 404
            assert agent.hall.revision >= 2


async def test_a_restart_with_the_broker_down_shows_the_last_content(
    mosquitto_url: str, uid: str, tmp_path: Path
) -> None:
    site, dev, data = site_of(uid), f"hall-{uid}", tmp_path / "d"
    red, face = png((200, 0, 0)), png((10, 150, 10), (30, 40))
    async with BlobServer(dev).running() as blobs:
        blobs.add(red)
        blobs.add(face)
        async with running(hall_config(mosquitto_url, uid, data, blobs.url)) as agent:
            await publish(mosquitto_url, site, windows(site, 1, face))
            await publish(mosquitto_url, site, live(site, 4, [("A012", "3")], serving="A011"))
            await publish(mosquitto_url, site, plan(site, 2, red, here=dev))
            await until(
                agent, lambda: agent.hall.plan is not None and agent.hall.blobs.fetched == 2
            )

    dead_broker = f"mqtt://127.0.0.1:{free_port()}"  # nothing listens there: the broker is down
    port = free_port()
    cfg = hall_config(dead_broker, uid, data, "http://127.0.0.1:9", port=port)
    async with (
        running(cfg, connected=False) as agent,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=TIMEOUT) as http,
        http.stream("GET", "/api/v1/screen/hall/events") as r,
    ):
        state = await next_state(r.aiter_lines())
        assert not agent.connected.is_set() and state["connected"] is False
        assert state["versions"] == {"floorplan": 2, "windows": 1, "live": 4}
        assert state["calls"][0]["ticket"] == "A012"
        assert state["plan"]["image"].endswith(agent.hall.plan.image.sha256)  # type: ignore[union-attr]
        (window,) = state["windows"]
        assert window["serving"] == "A011" and window["staff_no"] == "0031"
        assert window["roster"][0]["name"] == "王丽" and window["roster"][0]["photo"]
        assert (await http.get(window["roster"][0]["photo"])).content == face
