"""自助复印 as a citizen does it at the pilot kiosk: choose what the copy is for and how many,
preview the page scanned by the kiosk's document camera with its mark, print; the A4 printer
receives the marked copy, the job says purpose ``copy``, and the print audit records it with
the hash of the page as printed. Every screen passes WCAG 2.2 AA (axe)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
from playwright.async_api import Browser, expect

from cloud.blobs import BlobStore
from cloud.print_audit import PrintAudit
from tests.browser.kiosk_kit import HHL, KIOSK, assert_accessible, kiosk_world, touch_page

LABEL = "办理户籍业务"


async def test_a_citizen_copies_a_page_with_its_purpose_marked(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with (
        kiosk_world(tmp_path, mosquitto_url) as kw,
        httpx.AsyncClient(
            base_url=kw.world.base_url, headers=kw.world.headers, timeout=30
        ) as client,
    ):
        async with touch_page(browser, kw.url) as page:
            await page.locator("button.tile[data-screen='copy']").tap()
            await expect(page.locator(".copy-label")).to_have_count(8)
            await assert_accessible(page, "copy: choices")
            await page.locator("#copy-preview").tap()  # no purpose chosen yet
            await expect(page.locator(".copy-status .msg.warn")).to_contain_text("请先选择")
            await page.locator(f".copy-label[data-label='{LABEL}']").tap()
            await expect(page.locator(f".copy-label[data-label='{LABEL}']")).to_have_class(
                "copy-label chosen"
            )
            await page.get_by_role("button", name="增加一份").tap()
            await expect(page.locator("#copy-n")).to_have_text("2")
            async with page.expect_response("**/kiosk/api/copy/preview") as shown:
                await page.locator("#copy-preview").tap()
            preview = await (await shown.value).json()
            assert preview["watermark"].startswith(f"仅供{LABEL}使用 · ")
            assert preview["watermark"].endswith(f" · {KIOSK}")
            image = page.locator(".copy-preview img")
            await expect(image).to_be_visible()
            # decode() settles once the image has loaded: no race with the load src started
            assert await image.evaluate("img => img.decode().then(() => img.naturalWidth)") > 1000
            await assert_accessible(page, "copy: preview")
            async with page.expect_response("**/kiosk/api/copy/print") as started:
                await page.locator("#copy-print").tap()
            job_id = (await (await started.value).json())["job_id"]
            await expect(page.locator(".copy-status .msg.ok")).to_contain_text(
                "复印完成", timeout=60000
            )
            await assert_accessible(page, "copy: done")

        job = (await client.get(f"/api/v1/jobs/{job_id}")).json()
        assert (job["kind"], job["purpose"], job["state"]) == ("copy", "copy", "succeeded")
        assert (job["params"]["purpose"], job["params"]["copies"]) == (LABEL, 2)
        assert job["result"]["watermark"].startswith(f"仅供{LABEL}使用")
        [pdf] = list(kw.world.a4_dir(KIOSK).glob("**/*.pdf"))
        printed = hashlib.sha256(pdf.read_bytes()).hexdigest()
        assert job["result"]["page"]["sha256"] == printed

        assert kw.world.sessions is not None
        audit = PrintAudit(kw.world.sessions, BlobStore(kw.world.data_dir / "blobs", 1 << 30), 30)
        await audit.record_pending()  # (or the cloud's own recorder already did)
        rows = (await client.get("/api/v1/print-audit/records", params={"kind": "copy"})).json()
        [row] = [r for r in rows["rows"] if r["job_id"] == job_id]
        assert (row["site"], row["device_id"], row["sha256"]) == (HHL, KIOSK, printed)
        assert (row["pages"], row["content_kept"]) == (2, True)


async def test_the_preview_is_forgotten_at_exit(
    browser: Browser, tmp_path: Path, mosquitto_url: str
) -> None:
    async with (
        kiosk_world(tmp_path, mosquitto_url) as kw,
        touch_page(browser, kw.url) as page,
    ):
        await page.locator("button.tile[data-screen='copy']").tap()
        await page.locator(f".copy-label[data-label='{LABEL}']").tap()
        await page.locator("#copy-preview").tap()
        await expect(page.locator(".copy-preview img")).to_be_visible()
        kiosk = kw.kiosk.agent.kiosk
        assert kiosk is not None
        assert isinstance(kiosk.session.get("copy.preview"), bytes)
        kiosk.session.clear()  # what 退出 and the idle timeout do
        r = await page.request.get(kw.url + "/api/copy/preview.jpg")
        assert r.status == 404
