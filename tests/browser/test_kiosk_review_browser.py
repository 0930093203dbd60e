"""A kiosk's ``/`` is now the citizen's app (``/kiosk``), so the scan corner review must reach
the citizen there too: a scan that asks shows the photo with its handles over the kiosk app,
使用整张 (use whole photo) answers it, and the kiosk app is still there underneath."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from edge_agent.jobs.corner_review import reviewed_scan
from tests.browser.kiosk_kit import assert_accessible
from tests.browser.test_corner_adjust_browser import FRAME, kiosk_page, kiosk_with_scanner
from tests.browser.test_screen_browser import watch_errors


async def test_corner_review_over_the_kiosk_app(
    browser: Browser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with kiosk_with_scanner(tmp_path, monkeypatch) as kiosk:
        root = kiosk.url.removesuffix("/status") + "/"
        context, page = await kiosk_page(browser, root)
        errors = watch_errors(page)
        await expect(page).to_have_url(root + "kiosk")
        await expect(page.locator("body[data-ready='1']")).to_be_attached()
        await asyncio.wait_for(kiosk.agent.review_desk.watching.wait(), 15)  # the page polls
        scan = asyncio.create_task(reviewed_scan(kiosk.camera, None, kiosk.agent.review_desk))
        await expect(page.locator("#review-title")).to_have_text(
            "请确认文件的四个角", timeout=15_000
        )
        await expect(page.locator(".handle")).to_have_count(4)
        await assert_accessible(page, "corner review on the kiosk app")
        await page.locator("#review-whole").tap()
        result = await asyncio.wait_for(scan, 15)
        assert result.corners_source == "whole_frame" and (result.width, result.height) == FRAME
        await expect(page.locator("#review")).to_be_hidden()
        await expect(page.locator("#k-title")).to_have_text("请选择您要办理的事项")
        assert errors == []
        await context.close()
