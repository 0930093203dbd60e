"""The screen's review routes: the long poll answers as soon as a review is asked, the photo is
served only while its review is pending, and an answer that is not JSON, too big, or with
corners that cannot be a page gets a clear error while the review stays open."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from edge_agent.agent import Agent
from edge_agent.config import parse_config
from edge_agent.jobs.review_desk import ReviewDesk
from edge_agent.screen import create_app
from tests.agent.corner_kit import TIMEOUT, pending, request

GOOD = [[60.0, 50.0], [580.0, 40.0], [600.0, 330.0], [40.0, 320.0]]


@pytest.fixture
async def screen(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ReviewDesk]]:
    config = parse_config(
        {
            "device_id": "kiosk-review",
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(tmp_path),
            "mqtt": {"url": "mqtt://127.0.0.1:1"},
        },
        source="test",
    )
    agent = Agent(config)
    transport = httpx.ASGITransport(app=create_app(agent, agent.review_desk))
    async with httpx.AsyncClient(transport=transport, base_url="http://screen") as client:
        yield client, agent.review_desk


async def test_the_long_poll_answers_as_soon_as_a_review_is_asked(
    screen: tuple[httpx.AsyncClient, ReviewDesk],
) -> None:
    client, desk = screen
    r = await client.get("/api/v1/screen/review")
    assert r.status_code == 200 and r.json() == {"review": None}
    assert r.headers["cache-control"] == "no-store"
    poll = asyncio.create_task(client.get("/api/v1/screen/review", params={"wait_s": 20}))
    task = asyncio.create_task(desk.review(request()))
    async with asyncio.timeout(5):  # well before the poll's 20 s
        r = await poll
    review = r.json()["review"]
    assert review["confidence"] == 0.21 and review["width"] == 640 and review["height"] == 360
    assert review["corners"][1] == [550.25, 45.25] and review["can_retake"] is True
    # the same review again: the poll waits; a quick one answers with it
    r = await client.get("/api/v1/screen/review", params={"seen": review["id"]})
    assert r.json()["review"]["id"] == review["id"]
    r = await client.get(review["frame_url"])
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content == b"\xff\xd8\xff preview" and r.headers["cache-control"] == "no-store"

    r = await client.post(
        f"/api/v1/screen/review/{review['id']}", json={"action": "confirm", "corners": GOOD}
    )
    assert r.status_code == 200 and r.json() == {"action": "confirm"}
    async with asyncio.timeout(TIMEOUT):
        assert (await task).action == "confirm"
    r = await client.get(review["frame_url"])  # answered: the photo is gone
    assert r.status_code == 404 and "no corner review" in r.json()["detail"]


async def test_bad_answers_are_refused_with_a_reason_and_the_review_stays(
    screen: tuple[httpx.AsyncClient, ReviewDesk],
) -> None:
    client, desk = screen
    task = asyncio.create_task(desk.review(request()))
    r = await client.get("/api/v1/screen/review", params={"wait_s": 10})
    url = f"/api/v1/screen/review/{r.json()['review']['id']}"

    r = await client.post(url, content=b'{"action": "whole"}')  # no JSON content type
    assert r.status_code == 415 and "Content-Type: application/json" in r.json()["detail"]
    r = await client.post(url, content=b"{" * 5000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and "at most 4096 bytes" in r.json()["detail"]
    r = await client.post(url, content=b"{nope", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "not JSON" in r.json()["detail"]
    r = await client.post(url, json=[1, 2])
    assert r.status_code == 422 and "JSON object" in r.json()["detail"]
    r = await client.post(url, json={"action": "confirm", "corners": GOOD[:3]})
    assert r.status_code == 422 and "expected 4 points" in r.json()["detail"]
    r = await client.post(
        url, json={"action": "confirm", "corners": [GOOD[0], GOOD[2], GOOD[1], GOOD[3]]}
    )
    assert r.status_code == 422 and "sides cross" in r.json()["detail"]
    r = await client.post("/api/v1/screen/review/nosuch", json={"action": "whole"})
    assert r.status_code == 404
    r = await client.get("/api/v1/screen/review", params={"wait_s": "forever"})
    assert r.status_code == 422 and "wait_s" in r.json()["detail"]
    r = await client.get("/api/v1/screen/review", params={"wait_s": 99})
    assert r.status_code == 422

    assert not task.done()  # still waiting for the citizen
    r = await client.post(url, json={"action": "whole"})
    assert r.status_code == 200
    async with asyncio.timeout(TIMEOUT):
        assert (await task).action == "whole"


async def test_the_page_carries_the_corner_screen_and_its_words(
    screen: tuple[httpx.AsyncClient, ReviewDesk],
) -> None:
    client, _ = screen
    page = (await client.get("/")).text
    assert 'id="review"' in page and "请确认文件的四个角" in page and "使用整张" in page
    assert '<script src="/screen/review.js"></script>' in page and "{{" not in page
    page = (await client.get("/", params={"lang": "en"})).text
    assert "Use whole photo" in page and "Top left|Top right" in page
    r = await client.get("/screen/review.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/javascript")


async def test_the_review_is_only_for_the_devices_own_browser(tmp_path: Path) -> None:
    config = parse_config(
        {
            "device_id": "kiosk-remote",
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(tmp_path),
            "mqtt": {"url": "mqtt://127.0.0.1:1"},
            "screen": {"allow_remote": True, "host": "0.0.0.0"},
        },
        source="test",
    )
    agent = Agent(config)
    desk = agent.review_desk
    task = asyncio.create_task(desk.review(request()))
    app = create_app(agent, desk)
    far = httpx.ASGITransport(app=app, client=("192.168.1.20", 40000))
    async with httpx.AsyncClient(transport=far, base_url="http://kiosk") as client:
        assert (await client.get("/api/v1/screen/status")).status_code == 200
        r = await client.get("/api/v1/screen/review")
        assert r.status_code == 403 and "device's own browser" in r.json()["detail"]
        review_id = (await pending(desk)).id
        r = await client.get(f"/api/v1/screen/review/{review_id}/frame.jpg")
        assert r.status_code == 403
        r = await client.post(f"/api/v1/screen/review/{review_id}", json={"action": "whole"})
        assert r.status_code == 403 and not task.done()
    desk.decide(review_id, "whole")
    assert (await task).action == "whole"
