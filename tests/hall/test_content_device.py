"""Devices read the images of their own site's published content (current and previous) with
their own credentials, nothing of another site's; staff and their photos reach the window
information; a restarted cloud republishes every site's current content."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cloud.hall.content_demo import publish_demo_content
from cloud.hall.seed import PILOT_HALLS, seed_halls_in
from fleet.access import PersonRole
from protocols.hall import FloorPlanBody, WindowsBody
from tests.access.kit import AccessCloud, device_with_secret
from tests.hall.content_kit import HHL, TGLS, configure_site, content_cloud, plan, png, upload


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[AccessCloud]:
    async with content_cloud(tmp_path, mosquitto_url) as c:
        await configure_site(c)
        yield c


async def publish_plan(http: httpx.AsyncClient, image: bytes) -> str:
    r = await upload(http, image)
    assert r.status_code == 201, r.text
    sha = str(r.json()["body"]["image"]["sha256"])
    r = await http.post(
        "/api/v1/hall/content/floorplan/publish",
        params={"site": HHL},
        json={"plan": plan(sha, [("1", 0.5, 0.5)])},
    )
    assert r.status_code == 201, r.text
    return sha


async def test_a_device_reads_its_own_sites_plan_and_not_another_sites(
    cloud: AccessCloud,
) -> None:
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    image = png(300, 200, shade=90)
    sha = await publish_plan(admin, image)
    here = await cloud.client(await device_with_secret(cloud.parts, "screen-hhl", HHL))
    there = await cloud.client(await device_with_secret(cloud.parts, "screen-tgls", TGLS))
    r = await here.get(f"/api/v1/blobs/{sha}")
    assert r.status_code == 200 and r.content == image
    r = await there.get(f"/api/v1/blobs/{sha}")
    assert r.status_code == 403, r.text
    assert "its own site's content" in r.json()["message"]


async def test_a_draft_or_an_image_two_versions_old_is_not_readable(cloud: AccessCloud) -> None:
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    here = await cloud.client(await device_with_secret(cloud.parts, "screen-hhl", HHL))
    first = await publish_plan(admin, png(300, 200, shade=10))
    r = await upload(admin, png(300, 200, shade=20))
    draft = r.json()["body"]["image"]["sha256"]
    assert (await here.get(f"/api/v1/blobs/{draft}")).status_code == 403
    await publish_plan(admin, png(300, 200, shade=30))
    assert (await here.get(f"/api/v1/blobs/{first}")).status_code == 200  # the previous one
    await publish_plan(admin, png(300, 200, shade=40))
    assert (await here.get(f"/api/v1/blobs/{first}")).status_code == 403


async def test_a_staff_photo_reaches_the_window_information_and_its_devices(
    cloud: AccessCloud,
) -> None:
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    photo = png(120, 160, shade=150)
    r = await admin.put(
        "/api/v1/hall/staff/S1/photo",
        params={"site": HHL},
        files={"file": ("me.png", photo, "image/png")},
    )
    assert r.status_code == 200, r.text
    sha = r.json()["photo_sha256"]
    r = await admin.get("/api/v1/hall/content", params={"site": HHL, "kind": "windows"})
    body = r.json()["items"][0]["body"]
    window1 = next(w for w in body["windows"] if w["number"] == "1")
    assert window1["staff"][0]["photo"]["sha256"] == sha
    assert window1["services"][0]["name_zh"] == "户籍办理"
    await cloud.parts.hall.publisher.wait_published(HHL, "windows", r.json()["current"])
    here = await cloud.client(await device_with_secret(cloud.parts, "screen-hhl", HHL))
    assert (await here.get(f"/api/v1/blobs/{sha}")).content == photo
    r = await admin.get(f"/api/v1/hall/images/{sha}", params={"site": HHL})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert (await admin.get(f"/api/v1/hall/images/{sha}", params={"site": TGLS})).status_code == 404


async def test_staff_crud_is_audited_and_a_duplicate_is_409(cloud: AccessCloud) -> None:
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    new = {"staff_no": "S2", "name": "李强", "title": "窗口负责人"}
    r = await admin.post("/api/v1/hall/staff", params={"site": HHL}, json=new)
    assert r.status_code == 201, r.text
    r = await admin.post("/api/v1/hall/staff", params={"site": HHL}, json=new)
    assert r.status_code == 409 and "exists already" in r.json()["message"]
    r = await admin.put(
        "/api/v1/hall/staff/S2", params={"site": HHL}, json={"name": "李强", "title": "科长"}
    )
    assert r.status_code == 200 and r.json()["title"] == "科长"
    assert (await admin.delete("/api/v1/hall/staff/S2", params={"site": HHL})).status_code == 204
    r = await admin.get("/api/v1/hall/staff", params={"site": HHL})
    assert [m["staff_no"] for m in r.json()["items"]] == ["S1"]
    actions = [
        a for a in ("create", "update", "delete") if await cloud.audit_rows(f"hall_staff.{a}")
    ]
    assert actions == ["create", "update", "delete"]


async def test_an_svg_photo_is_refused(cloud: AccessCloud) -> None:
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    r = await admin.put(
        "/api/v1/hall/staff/S1/photo",
        params={"site": HHL},
        files={"file": ("me.svg", svg, "image/svg+xml")},
    )
    assert r.status_code == 415 and "not an SVG drawing" in r.json()["message"]


async def test_a_restarted_cloud_republishes_the_current_content(
    tmp_path: Path, mosquitto_url: str
) -> None:
    async with content_cloud(tmp_path, mosquitto_url) as first:
        await configure_site(first)
        admin = await first.as_role(PersonRole.ADMINISTRATOR)
        await publish_plan(admin, png())
        await publish_plan(admin, png(shade=1))
    async with content_cloud(tmp_path, mosquitto_url) as second:
        publisher = second.parts.hall.publisher
        async with asyncio.timeout(15):  # republished by the worker, nobody asked
            await publisher.wait_published(HHL, "floorplan", 2)
        assert publisher.published_version(HHL, "floorplan") == 2


async def test_the_demo_publishes_a_plan_with_every_window_once(cloud: AccessCloud) -> None:
    content = cloud.parts.hall.content
    assert content is not None
    assert await publish_demo_content(content, [HHL, TGLS], [HHL, TGLS]) == 2  # TGLS: no windows
    assert await publish_demo_content(content, [HHL], [HHL]) == 0  # idempotent
    plan_body = await content.current(HHL, "floorplan")
    assert isinstance(plan_body, FloorPlanBody)
    assert [w.number for w in plan_body.windows] == ["1", "2", "3"]
    assert plan_body.image.media_type == "image/png" and plan_body.version == 1


async def test_the_demo_content_of_the_seeded_pilot_halls_is_valid(
    tmp_path: Path, mosquitto_url: str
) -> None:
    async with content_cloud(tmp_path, mosquitto_url) as c:
        await seed_halls_in(c.parts.sessions)
        content = c.parts.hall.content
        assert content is not None
        sites = [hall.site for hall in PILOT_HALLS]
        assert await publish_demo_content(content, [HHL], sites) == 1 + len(sites)
        windows = await content.current(HHL, "windows")
        assert isinstance(windows, WindowsBody) and windows.windows[0].staff
