"""A self-service application (自助申报) as a citizen makes it at a pilot kiosk (the demo world:
the sample catalogue published, the kiosk's synthetic 高拍仪, the city 政务服务平台 simulator
behind the cloud): the ID card, the situation, three materials scanned — one of two pages, one
first laid blank (refused and asked again) and retaken once — the e-form (a wrong card number
refused with its field), review, submit. The platform receives exactly the pages the citizen
accepted, as its files, the receipt prints with the case number and the case-progress API finds
the case. The application outlives a reload of the kiosk's page (the agent holds it; its
restart: tests/kiosk/test_apply_agent.py). Every screen passes WCAG 2.2 AA."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urljoin

from playwright.async_api import Browser, Page, expect

from simulators.city_platform import CityPlatformSim
from simulators.city_platform_cases import WANG
from simulators.doc_camera import SyntheticFrameSource
from tests.browser.kiosk_kit import KioskWorld, assert_accessible, kiosk_world, touch_page

ITEM = "SI-PENSION-CLAIM"
FORM = "#kf-pension-claim-"


def camera_source(kw: KioskWorld) -> SyntheticFrameSource:
    """The synthetic page under the kiosk's document camera (its open capture)."""
    camera = next(p for p in kw.kiosk.agent.peripherals.values() if p.kind == "doc_camera")
    source = camera._video.open()  # type: ignore[attr-defined]
    assert isinstance(source, SyntheticFrameSource)
    return source


async def scan_and_accept(page: Page, material: str, *, retake_first: bool = False) -> bytes:
    """Scan a page of ``material`` and accept it; the JPEG the citizen was shown."""
    await page.locator(f"[data-scan='{material}']").tap()
    if retake_first:
        await expect(page.locator("#apply-retake")).to_be_visible(timeout=30_000)
        await page.locator("#apply-retake").tap()
        await page.locator(f"[data-scan='{material}']").tap()
    preview = page.locator("img.apply-preview")
    await expect(preview).to_be_visible(timeout=30_000)
    src = await preview.get_attribute("src")
    assert src is not None
    shown = await (await page.request.get(urljoin(page.url, src))).body()
    await page.locator("#apply-accept").tap()
    await expect(page.locator(f"[data-material='{material}']")).to_be_visible()
    return shown


async def test_three_scanned_materials_reach_the_platform(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with kiosk_world(tmp_path, mosquitto_url) as kw, touch_page(browser, kw.url) as page:
        sim = kw.world.platforms.running["city_platform"]
        assert isinstance(sim, CityPlatformSim)
        assert kw.kiosk.idcard is not None
        kw.kiosk.idcard.insert(0)  # 王晓明 on the reader

        await page.locator("[data-screen='apply']").tap()
        await page.locator("#apply-q").fill("养老保险待遇")
        await page.locator(".apply-search button").tap()
        pick = page.locator(f"[data-item='{ITEM}']")
        await expect(pick).to_be_visible(timeout=30_000)
        await assert_accessible(page, "apply: choose the item")
        await pick.tap()

        await page.locator("[data-question='who'] [data-option='self']").tap()
        await expect(page.locator("#apply-next")).to_be_enabled()
        await assert_accessible(page, "apply: situation")
        await page.locator("#apply-next").tap()
        await expect(page.locator("[data-material='hukou_book']")).to_be_visible()
        await expect(page.locator("#apply-next")).to_be_disabled()  # nothing scanned yet
        await assert_accessible(page, "apply: material list")

        shown: dict[str, list[bytes]] = {"id_card": [], "hukou_book": [], "bank_card": []}
        shown["id_card"].append(await scan_and_accept(page, "id_card"))
        await page.reload()  # the kiosk's browser restarts: the application is the agent's
        await expect(page.locator("body[data-ready='1']")).to_be_attached()
        await page.locator("[data-screen='apply']").tap()
        await expect(page.locator("[data-material='id_card'] .apply-count")).to_have_text(
            "已扫描 1 页"
        )
        await page.locator("#k-home").tap()  # home with an application in progress: the
        assert await page.evaluate("window.Kiosk.dirty") is True  # idle timer still clears it
        await page.locator("[data-screen='apply']").tap()
        await page.locator("[data-scan='id_card']").tap()  # the back of the card
        await assert_accessible(page, "apply: a page to accept or retake")
        await page.locator("#apply-retake").tap()
        shown["id_card"].append(await scan_and_accept(page, "id_card"))

        source = camera_source(kw)
        source.blank = True  # the booklet laid face down
        await page.locator("[data-scan='hukou_book']").tap()
        await expect(page.locator(".apply-status [role='status']")).to_contain_text(
            "空白", timeout=30_000
        )
        await expect(page.locator("[data-material='hukou_book'] .apply-count")).to_have_text(
            "已扫描 0 页"
        )
        await assert_accessible(page, "apply: a blank page asked again")
        source.blank = False
        shown["hukou_book"].append(await scan_and_accept(page, "hukou_book"))
        shown["bank_card"].append(await scan_and_accept(page, "bank_card", retake_first=True))
        await expect(page.locator("[data-material='id_card'] .apply-count")).to_have_text(
            "已扫描 2 页"
        )

        await page.locator("#apply-next").tap()
        await expect(page.locator(FORM + "phone")).to_be_visible()
        await expect(page.locator(FORM + "name")).to_have_value("王*")
        await page.locator(FORM + "phone").fill("13800001234")
        await page.locator(FORM + "bank").select_option("青海银行")
        await page.locator(FORM + "bank_card").fill("6222020200112233445")  # check digit wrong
        await page.locator("#apply-next").tap()
        await expect(page.locator(FORM + "bank_card-problem")).to_contain_text("校验位")
        await assert_accessible(page, "apply: the form with a problem")
        await page.locator(FORM + "bank_card").fill("6222020200112233446")
        await page.locator("#apply-next").tap()

        await expect(page.locator("#apply-submit")).to_be_visible()
        await expect(page.locator(".apply-summary")).to_contain_text("申请人居民身份证：2 页")
        await expect(page.locator("[data-field='bank_card']")).to_have_text("**** **** 3446")
        await expect(page.locator("[data-field='phone']")).to_have_text("138****1234")
        assert WANG[0] not in await page.content() and WANG[1] not in await page.content()
        await assert_accessible(page, "apply: review")
        await page.locator("#apply-submit").tap()
        case_no = page.locator("#apply-case-no")
        await expect(case_no).to_have_text(re.compile(r"^GEMZZ[0-9]{12}$"), timeout=30_000)
        await assert_accessible(page, "apply: submitted")

        [filed] = sim.apply.applications.values()
        assert await case_no.text_content() == filed.case_no and filed.cert_no == WANG[0]
        got = {code: [f.content for f in files] for code, files in filed.materials.items()}
        assert got == shown
        assert all(f.media_type == "image/jpeg" for fs in filed.materials.values() for f in fs)
        assert filed.form_data["bank_card"] == "6222020200112233446"
        assert filed.form_data["id_number"] == WANG[0]  # from the card the agent holds
        assert sim.cases_of(WANG[0])[0]["caseNo"] == filed.case_no

        [receipt] = await kw.kiosk.printer.wait_for_receipts(1, timeout=30)
        assert filed.case_no in receipt.text and WANG[1] not in receipt.text
