"""The console's hall content editor in Chromium on a running demo cloud: upload a plan,
place a window and drag it, publish — the API holds the new version with the dragged
position; rolling back from the version list publishes a newer version with the old body."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from cloud.db import sites as site_repo
from cloud.hall import content_repo
from fleet.access import PersonRole
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from tests.browser.console_login import signed_in_page
from tests.browser.test_screen_browser import watch_errors
from tests.hall.content_kit import HHL, png

WAIT_MS = 15_000


@pytest.fixture
async def world(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[DemoWorld]:
    opts = DemoOptions(data_dir=tmp_path, broker_url=mosquitto_url, port=0, kiosks=[])
    async with running_demo(opts) as w:
        assert w.sessions is not None  # the demo seeds the pilot halls' windows (1..6 here)
        yield w


async def current_plan(world: DemoWorld) -> tuple[int | None, dict[str, Any], int | None]:
    assert world.sessions is not None
    async with world.sessions() as s:
        site = await site_repo.require(s, HHL)
        row = await content_repo.current(s, site.id, "floorplan")
    if row is None:
        return None, {}, None
    return row.version, row.body, row.rolled_back_to


async def drag(page: Page, number: str, x: float, y: float, what: str = "") -> None:
    """Drag window ``number`` (or the element ``what``) to (x, y), fractions of the plan,
    with the mouse (pointer events). The plan image must have loaded (it sizes the editor)
    and the element must be in the viewport, or the mouse lands elsewhere."""
    await page.wait_for_function(
        "() => { const i = document.getElementById('hc-image');"
        " return i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().height > 0; }"
    )
    target = page.locator(what or f'.hc-win[data-number="{number}"]')
    await target.scroll_into_view_if_needed()
    box = await page.locator("#hc-editor").bounding_box()
    spot = await target.bounding_box()
    assert box and spot
    await page.mouse.move(spot["x"] + spot["width"] / 2, spot["y"] + spot["height"] / 2)
    await page.mouse.down()
    for step in (0.3, 0.7, 1.0):  # several moves, as a hand would
        await page.mouse.move(box["x"] + box["width"] * x * step, box["y"] + box["height"] * y)
    await page.mouse.up()


async def test_upload_drag_publish_and_roll_back(browser: Browser, world: DemoWorld) -> None:
    page = await signed_in_page(browser, world, "content-editor", PersonRole.OPERATOR)
    errors = watch_errors(page)
    await page.goto(f"{world.base_url}/hall/content?site={HHL}")
    await expect(page.locator("#hc-status")).to_contain_text("还没有平面图", timeout=WAIT_MS)
    await page.set_input_files(
        "#hc-file", {"name": "plan.png", "mimeType": "image/png", "buffer": png(600, 400)}
    )
    await page.click("#hc-upload")
    await expect(page.locator("#hc-status")).to_contain_text("已上传", timeout=WAIT_MS)
    await page.fill("#hc-add-window input[name=number]", "2")
    await page.click("#hc-add-window button")
    await drag(page, "2", 0.2, 0.3)
    await page.fill("#hc-add-marker input[name=device_id]", "screen-hhl-1")
    await page.click("#hc-add-marker button")
    await drag(page, "", 0.6, 0.95, '.hc-marker[data-device="screen-hhl-1"]')
    await page.click("#hc-publish")
    await expect(page.locator("#hc-status")).to_contain_text("已发布版本 1", timeout=WAIT_MS)
    version, body, _ = await current_plan(world)
    assert version == 1
    (spot,) = body["windows"]
    assert spot["number"] == "2"
    assert spot["x"] == pytest.approx(0.2, abs=0.03) and spot["y"] == pytest.approx(0.3, abs=0.03)
    (marker,) = body["markers"]
    assert marker["device_id"] == "screen-hhl-1" and marker["x"] == pytest.approx(0.6, abs=0.05)
    await drag(page, "2", 0.8, 0.6)
    await page.click("#hc-publish")
    await expect(page.locator("#hc-status")).to_contain_text("已发布版本 2", timeout=WAIT_MS)
    await page.click('#hc-versions tr[data-version="1"] button.rollback')
    await expect(page.locator("#hc-status")).to_contain_text("新版本 3", timeout=WAIT_MS)
    version, body, rolled_back_to = await current_plan(world)
    assert (version, rolled_back_to) == (3, 1)
    assert body["windows"][0]["x"] == pytest.approx(0.2, abs=0.03)
    await expect(page.locator('#hc-versions tr.current[data-version="3"]')).to_be_visible()
    assert [e for e in errors if "Failed to load resource" not in e] == []
