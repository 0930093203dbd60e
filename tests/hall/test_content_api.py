"""The content API: upload a floor plan (checked), publish versions, refuse stale versions and
bad placements with precise messages, roll back as a new version."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from fleet.access import PersonRole
from tests.access.kit import AccessCloud
from tests.hall.content_kit import HHL, TGLS, configure_site, content_cloud, plan, png, upload

LIMIT = 64 * 1024


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[AccessCloud]:
    async with content_cloud(tmp_path, mosquitto_url, hall_plan_max_bytes=LIMIT) as c:
        await configure_site(c)
        yield c


@pytest.fixture
async def editor(cloud: AccessCloud) -> httpx.AsyncClient:
    return await cloud.as_role(PersonRole.OPERATOR, "qh/hx/golmud/hhl")


async def uploaded(http: httpx.AsyncClient, data: bytes | None = None) -> str:
    r = await upload(http, data or png())
    assert r.status_code == 201, r.text
    return str(r.json()["body"]["image"]["sha256"])


async def publish(http: httpx.AsyncClient, body: dict[str, Any]) -> httpx.Response:
    return await http.post(
        "/api/v1/hall/content/floorplan/publish", params={"site": HHL}, json=body
    )


async def versions(http: httpx.AsyncClient, kind: str = "floorplan") -> dict[str, Any]:
    r = await http.get("/api/v1/hall/content", params={"site": HHL, "kind": kind})
    assert r.status_code == 200, r.text
    result: dict[str, Any] = r.json()
    return result


async def test_upload_makes_a_draft_and_publish_makes_version_1_on_the_broker(
    cloud: AccessCloud, editor: httpx.AsyncClient
) -> None:
    r = await upload(editor, png(320, 200))
    assert r.status_code == 201, r.text
    draft = r.json()
    assert (draft["state"], draft["version"]) == ("draft", None)
    assert draft["body"]["width"] == 320 and draft["body"]["height"] == 200
    assert draft["body"]["image"]["media_type"] == "image/png"
    sha = draft["body"]["image"]["sha256"]
    r = await publish(editor, {"plan": plan(sha, [("1", 0.25, 0.5), ("2", 0.75, 0.5)])})
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["current"]) == (1, True)
    listed = await versions(editor)
    assert listed["current"] == 1
    assert listed["items"][0]["body"]["windows"][1] == {"number": "2", "x": 0.75, "y": 0.5}
    assert listed["drafts"][0]["body"]["image"]["sha256"] == sha
    publisher = cloud.parts.hall.publisher
    await publisher.wait_published(HHL, "floorplan", 1)
    rows = await cloud.audit_rows("hall_content.publish")
    assert rows and rows[-1].site == HHL and rows[-1].detail["version"] == 1


async def test_an_oversized_plan_is_413_and_nothing_is_kept(editor: httpx.AsyncClient) -> None:
    big = png(400, 400, noise=True)
    assert len(big) > LIMIT
    r = await upload(editor, big)
    assert r.status_code == 413, r.text
    assert f"more than the {LIMIT} accepted" in r.json()["message"]
    assert (await versions(editor))["drafts"] == []


async def test_a_body_far_over_the_limit_is_refused_before_it_is_read(
    editor: httpx.AsyncClient,
) -> None:
    r = await upload(editor, b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024))
    assert r.status_code == 413, r.text
    assert "KFLEET_HALL_PLAN_MAX_BYTES" in r.json()["message"]


async def test_a_non_image_is_415_with_what_to_do(editor: httpx.AsyncClient) -> None:
    r = await upload(
        editor, b"%PDF-1.4 minutes of a meeting", name="plan.pdf", media="application/pdf"
    )
    assert r.status_code == 415, r.text
    body = r.json()
    assert body["code"] == "unsupported_media_type"
    assert "not a PNG, JPEG, WebP or SVG" in body["message"] and "export" in body["message"]
    assert (await versions(editor))["drafts"] == []


async def test_a_png_named_image_that_is_not_one_is_refused(editor: httpx.AsyncClient) -> None:
    r = await upload(editor, png()[:40] + b"garbage")
    assert r.status_code == 422, r.text
    assert "does not decode" in r.json()["message"]


async def test_an_svg_with_a_script_is_refused(editor: httpx.AsyncClient) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 80">'
        b"<script>fetch('/api/v1/users')</script></svg>"
    )
    r = await upload(editor, svg, name="plan.svg", media="image/svg+xml")
    assert r.status_code == 422, r.text
    assert "<script> element" in r.json()["message"]


async def test_a_plain_svg_plan_is_accepted(editor: httpx.AsyncClient) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="600">'
        b'<rect width="5" height="5"/></svg>'
    )
    r = await upload(editor, svg, name="plan.svg", media="image/svg+xml")
    assert r.status_code == 201, r.text
    assert r.json()["body"]["image"]["media_type"] == "image/svg+xml"
    assert (r.json()["body"]["width"], r.json()["body"]["height"]) == (1000, 600)


async def test_positions_outside_the_plan_are_refused_naming_the_window(
    editor: httpx.AsyncClient,
) -> None:
    sha = await uploaded(editor)
    r = await publish(editor, {"plan": plan(sha, [("1", 0.5, 0.5), ("2", 1.4, 0.5)])})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["errors"][0]["loc"] == ["body", "plan", "windows", "1", "x"]
    assert "1.4 is outside the plan" in body["message"]
    assert (await versions(editor))["current"] is None


async def test_an_unknown_window_is_refused(editor: httpx.AsyncClient) -> None:
    sha = await uploaded(editor)
    r = await publish(editor, {"plan": plan(sha, [("9", 0.5, 0.5)])})
    assert r.status_code == 422, r.text
    assert "window 9 does not exist at this site (its windows: 1, 2, 3)" in r.json()["message"]


async def test_an_image_never_uploaded_for_the_site_is_refused(editor: httpx.AsyncClient) -> None:
    r = await publish(editor, {"plan": plan("ab" * 32, [])})
    assert r.status_code == 404, r.text
    assert "was never uploaded as a floor plan" in r.json()["message"]


async def test_a_version_older_than_the_current_is_refused(editor: httpx.AsyncClient) -> None:
    sha = await uploaded(editor)
    for n in (1, 2):
        r = await publish(editor, {"version": n, "plan": plan(sha, [("1", 0.1 * n, 0.5)])})
        assert r.status_code == 201, r.text
    r = await publish(editor, {"version": 2, "plan": plan(sha, [("1", 0.9, 0.5)])})
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "stale_version"
    assert "version 2 is not newer than the current version 2" in r.json()["message"]
    listed = await versions(editor)
    assert listed["current"] == 2
    assert listed["items"][0]["body"]["windows"][0]["x"] == pytest.approx(0.2)


async def test_rollback_publishes_a_newer_version_with_the_old_body(
    cloud: AccessCloud, editor: httpx.AsyncClient
) -> None:
    sha = await uploaded(editor)
    for x in (0.1, 0.2):
        assert (await publish(editor, {"plan": plan(sha, [("1", x, 0.5)])})).status_code == 201
    r = await editor.post(
        "/api/v1/hall/content/floorplan/rollback", params={"site": HHL, "version": 1}
    )
    assert r.status_code == 201, r.text
    assert (r.json()["version"], r.json()["rolled_back_to"]) == (3, 1)
    assert r.json()["body"]["windows"][0]["x"] == pytest.approx(0.1)
    await cloud.parts.hall.publisher.wait_published(HHL, "floorplan", 3)
    r = await editor.post(
        "/api/v1/hall/content/floorplan/rollback", params={"site": HHL, "version": 3}
    )
    assert r.status_code == 409 and "already the current one" in r.json()["message"]
    assert await cloud.audit_rows("hall_content.rollback")


async def test_a_site_outside_the_scope_is_404_and_a_reader_cannot_publish(
    cloud: AccessCloud, editor: httpx.AsyncClient
) -> None:
    other = await cloud.as_role(PersonRole.OPERATOR, TGLS)
    r = await other.get("/api/v1/hall/content", params={"site": HHL})
    assert r.status_code == 404, r.text
    r = await upload(other, png())
    assert r.status_code == 404, r.text
    viewer = await cloud.as_role(PersonRole.AUDITOR, HHL)
    assert (await viewer.get("/api/v1/hall/content", params={"site": HHL})).status_code == 200
    r = await upload(viewer, png())
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


async def test_two_editors_publishing_the_same_version_at_once_one_wins(
    editor: httpx.AsyncClient,
) -> None:
    sha = await uploaded(editor)
    first, second = await asyncio.gather(
        publish(editor, {"version": 1, "plan": plan(sha, [("1", 0.1, 0.1)])}),
        publish(editor, {"version": 1, "plan": plan(sha, [("2", 0.9, 0.9)])}),
    )
    assert sorted([first.status_code, second.status_code]) == [201, 409]
    listed = await versions(editor)
    assert listed["current"] == 1 and len(listed["items"]) == 1
