"""The kiosk shell as a citizen meets it: every tile leads to its screen and back home, the
language switches both ways, elder mode makes the text larger and the contrast higher (and
speaks when a Chinese voice exists), and the on-screen keyboard types into an input: ID
numbers with X only as the check digit, phone numbers at most 11 digits."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from tests.browser.kiosk_kit import assert_accessible, kiosk_world, touch_page
from tests.browser.kiosk_shell_kit import add_standins, tap_keys

HOME_ZH = "请选择您要办理的事项"
HOME_EN = "What would you like to do?"
#: a speech synthesis with one Chinese voice that records what it was asked to say
FAKE_SPEECH = """
window.__spoken = [];
const voice = { lang: "zh-CN", name: "test-zh", default: true, localService: true, voiceURI: "t" };
Object.defineProperty(window, "speechSynthesis", { value: {
  getVoices: () => [voice], speak: (u) => window.__spoken.push(u.text), cancel: () => {},
} });
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""


async def font_px(page: Page, selector: str) -> float:
    size = await page.locator(selector).evaluate("n => getComputedStyle(n).fontSize")
    return float(size.removesuffix("px"))


async def test_tiles_and_language(browser: Browser, tmp_path: Path, mosquitto_url: str) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        await add_standins(page)
        await expect(page.locator('.tile[data-screen^="standin-"]')).to_have_count(2)
        for screen, heading in (("standin-net", "网上查询"), ("standin-form", "填写号码")):
            await page.locator(f'.tile[data-screen="{screen}"]').tap()
            await expect(page.locator("#k-title")).to_have_text(heading)
            await page.locator("#k-home").tap()
            await expect(page.locator("#k-title")).to_have_text(HOME_ZH)
        await page.locator("#k-lang").tap()
        await expect(page.locator("#k-title")).to_have_text(HOME_EN)
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(page.locator('.tile[data-screen="standin-form"]')).to_contain_text(
            "Enter a number"
        )
        await expect(page.locator("#k-elder")).to_have_text("Elder mode")
        await assert_accessible(page, "kiosk home in English")
        await page.locator("#k-lang").tap()
        await expect(page.locator("#k-title")).to_have_text(HOME_ZH)
        await expect(page.locator("#k-exit")).to_have_text("退出")


async def test_elder_mode(browser: Browser, tmp_path: Path, mosquitto_url: str) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        await page.add_init_script(FAKE_SPEECH)
        await page.reload()
        await expect(page.locator("body[data-ready='1']")).to_be_attached()
        await add_standins(page)
        title_before = await font_px(page, "#k-title")
        tile_before = await font_px(page, ".tile >> nth=0")
        border_before = await page.locator(".tile").first.evaluate(
            "n => getComputedStyle(n).borderTopWidth"
        )
        await page.locator("#k-elder").tap()
        await expect(page.locator("#k-elder")).to_have_attribute("aria-pressed", "true")
        assert await font_px(page, "#k-title") >= 1.3 * title_before
        assert await font_px(page, ".tile >> nth=0") >= 1.3 * tile_before
        border = await page.locator(".tile").first.evaluate(
            "n => getComputedStyle(n).borderTopWidth"
        )
        assert float(border.removesuffix("px")) > float(border_before.removesuffix("px"))
        fg = await page.locator("body").evaluate("n => getComputedStyle(n).color")
        assert fg == "rgb(0, 0, 0)"  # pure black on white
        spoken = await page.evaluate("window.__spoken")
        assert any("长辈模式" in s for s in spoken)
        await assert_accessible(page, "kiosk home in elder mode")
        await page.locator('.tile[data-screen="standin-form"]').tap()
        await expect(page.locator("#k-title")).to_have_text("填写号码")
        assert "填写号码" in await page.evaluate("window.__spoken")
        assert await font_px(page, "#k-title") >= 1.3 * title_before  # on every screen
        await page.locator("#k-exit").tap()  # the next citizen starts in the standard mode
        await expect(page.locator("#k-elder")).to_have_attribute("aria-pressed", "false")
        assert await font_px(page, "#k-title") == title_before


async def test_silent_without_a_voice(browser: Browser, tmp_path: Path, mosquitto_url: str) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        await page.locator("#k-elder").tap()
        await expect(page.locator("#k-elder")).to_have_attribute("aria-pressed", "true")
        assert await page.evaluate("window.Kiosk.speak('你好')") is False  # no voice: no error


async def test_keyboard_types_into_an_input(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        await add_standins(page)
        await page.evaluate("Kiosk.go('standin-form', {kind: 'id_number'})")
        field = page.locator("#standin-input")
        await field.tap()
        await expect(page.locator("#k-kbd")).to_be_visible()
        await expect(field).to_have_attribute("inputmode", "none")
        height = await page.locator('#k-kbd [data-skbtn="5"]').evaluate(
            "n => n.getBoundingClientRect().height"
        )
        assert height >= 64  # touch targets
        await tap_keys(page, "X")  # X is only the check digit
        await expect(field).to_have_value("")
        await tap_keys(page, "63280119880512013X9")
        await expect(field).to_have_value("63280119880512013X")  # 18 characters, no more
        await assert_accessible(page, "on-screen keyboard open (id_number)")
        await page.locator('#k-kbd [data-skbtn="{bksp}"]').tap()
        await tap_keys(page, "7")
        await expect(field).to_have_value("632801198805120137")
        await page.locator('#k-kbd [data-skbtn="{done}"]').tap()
        await expect(page.locator("#k-kbd")).to_be_hidden()
        await page.evaluate("Kiosk.go('standin-form', {kind: 'phone'})")
        await page.locator("#standin-input").tap()
        await tap_keys(page, "138123456789")
        await expect(page.locator("#standin-input")).to_have_value("13812345678")
        await page.locator('#k-kbd [data-skbtn="{clear}"]').tap()
        await expect(page.locator("#standin-input")).to_have_value("")
        await page.locator("#k-home").tap()  # leaving the screen closes the keyboard
        await expect(page.locator("#k-kbd")).to_be_hidden()
