"""The idle timeout with short ``[kiosk]`` settings: no touch → a countdown the citizen can
cancel (继续使用 keeps the half-typed input); no touch again → everything personal is gone: the
input, browser storage, the screen's own data (onClear), the agent's session and its
temporary files; the kiosk is back home."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browser.kiosk_kit import assert_accessible, kiosk_world, touch_page
from tests.browser.kiosk_shell_kit import add_standins, tap_keys

IDLE = {"idle_warn_s": 5, "idle_clear_s": 8}
WAIT_MS = 20_000


async def test_idle_warns_then_clears_everything(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with (
        kiosk_world(tmp_path, mosquitto_url, kiosk_settings=IDLE) as kw,
        touch_page(browser, kw.url) as page,
    ):
        assert kw.kiosk.agent.kiosk is not None
        session = kw.kiosk.agent.kiosk.session
        await add_standins(page)
        await page.locator('.tile[data-screen="standin-form"]').tap()
        field = page.locator("#standin-input")
        await field.tap()
        await tap_keys(page, "6328")
        await expect(field).to_have_value("6328")
        await page.evaluate(
            "sessionStorage.setItem('draft', '6328'); localStorage.setItem('x', '1')"
        )
        root = session.temp_dir.parent
        (session.temp_dir / "scan.jpg").write_bytes(b"\xff\xd8 a scanned page")
        cleared_before = session.cleared

        idle = page.locator("#k-idle")
        await expect(idle).to_be_visible(timeout=WAIT_MS)
        await expect(page.locator("#k-idle-text")).to_contain_text("秒后将清除")
        await page.locator("#k-idle-stay").tap()  # 继续使用: nothing is lost
        await expect(idle).to_be_hidden()
        await expect(field).to_have_value("6328")
        assert session.cleared == cleared_before

        await expect(idle).to_be_visible(timeout=WAIT_MS)
        await assert_accessible(page, "idle warning")
        await expect(idle).to_be_hidden(timeout=WAIT_MS)
        await expect(page.locator("#k-title")).to_have_text("请选择您要办理的事项")
        await expect(page.locator("#standin-input")).to_have_count(0)
        await expect(page.locator("#k-kbd")).to_be_hidden()
        assert await page.evaluate("sessionStorage.length + localStorage.length") == 0
        assert await page.evaluate("window.__standinCleared") >= 1
        assert session.cleared == cleared_before + 1
        assert not root.exists() or not any(root.rglob("*"))
