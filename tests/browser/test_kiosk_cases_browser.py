"""Case progress as a citizen does it at a pilot kiosk (the demo world: the city 政务服务平台
simulator behind the cloud): a typed ID number with a wrong check digit is refused on the
spot; the ID card on the reader shows the citizen's cases as timelines; one is printed and
the kiosk's receipt printer gets it; every state of the screen passes WCAG 2.2 AA."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, Page, expect

from simulators.city_platform import CityPlatformSim
from simulators.city_platform_cases import CAIRANG, MA, WANG
from tests.browser.kiosk_kit import KioskWorld, assert_accessible, kiosk_world, touch_page


async def _card_on_the_reader(kw: KioskWorld, page: Page) -> None:
    """The sample card 王晓明 on the kiosk's ID-card reader (``Kiosk.readCard`` reads it)."""
    assert kw.kiosk.idcard is not None
    kw.kiosk.idcard.insert(0)
    assert await page.evaluate("typeof window.Kiosk.readCard === 'function'")


async def test_case_progress_by_card_timeline_and_print(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        sim = kw.world.platforms.running["city_platform"]
        assert isinstance(sim, CityPlatformSim)
        await page.locator("[data-screen='cases']").tap()
        await expect(page.locator("#k-title")).to_have_text("办件进度查询")
        await assert_accessible(page, "case progress: choices")

        await page.locator("#cases-id").fill(WANG[0][:-1] + "8")
        await page.locator("[data-go='id_number']").tap()
        await expect(page.locator(".cases-status [role='alert']")).to_contain_text("校验位")
        assert sim.requests == []  # the typo never left the kiosk
        await assert_accessible(page, "case progress: wrong check digit")

        await _card_on_the_reader(kw, page)
        await page.locator("#cases-card").tap()
        await expect(page.locator(".cases-count")).to_have_text("共找到 3 件办件")
        delivered = page.locator("article.case", has_text="灵活就业人员社会保险登记")
        await expect(delivered.locator(".timeline li")).to_have_count(5)
        await expect(delivered.locator(".case-state")).to_contain_text("送达")
        await expect(page.locator("article.case", has_text="户口迁移")).to_contain_text(
            "房屋产权证明"
        )
        await expect(page.locator(".case-facts").first).to_contain_text("王*")
        assert WANG[1] not in await page.content()
        await assert_accessible(page, "case progress: timelines")

        await delivered.locator("[data-print]").tap()
        await expect(page.locator(".cases-status [role='status']")).to_contain_text("取走凭条")
        [receipt] = await kw.kiosk.printer.wait_for_receipts(1, timeout=30)
        case_no = await delivered.get_attribute("data-case")
        assert case_no and case_no in receipt.text and "送达" in receipt.text
        assert WANG[1] not in receipt.text


async def test_typed_numbers_paging_english_and_a_refusal(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        sim = kw.world.platforms.running["city_platform"]
        assert isinstance(sim, CityPlatformSim)
        await page.locator("[data-screen='cases']").tap()
        await page.locator("#cases-id").fill(MA[0])
        await page.locator("[data-go='id_number']").tap()
        await expect(page.locator(".cases-count")).to_have_text("共找到 12 件办件")
        await expect(page.locator("article.case")).to_have_count(10)
        await page.locator(".cases-pager button", has_text="下一页").tap()
        await expect(page.locator("article.case")).to_have_count(2)
        await expect(page.locator(".cases-pager")).to_contain_text("第 2 / 2 页")
        await assert_accessible(page, "case progress: second page")

        await page.locator("#k-lang").tap()  # the answer stays, in English
        await expect(page.locator(".cases-count")).to_have_text("12 case(s) found")
        await expect(page.locator(".case-state").first).to_contain_text("Completed")
        await page.locator("#k-lang").tap()

        classified = next(c for c in sim.cases_of(CAIRANG[0]) if c["secret"])["caseNo"]
        await page.locator("#cases-no").fill(classified)
        await page.locator("[data-go='case_no']").tap()
        await expect(page.locator(".cases-status [role='alert']")).to_contain_text("保密")
        await assert_accessible(page, "case progress: refused")
        await page.locator("#k-exit").tap()
        await expect(page.locator("#k-title")).to_have_text("请选择您要办理的事项")
        await page.locator("[data-screen='cases']").tap()
        await expect(page.locator("article.case")).to_have_count(0)
