"""The login page and the people pages in Chromium against a real cloud over HTTP: a wrong
password and a lock-out are said in words, the right one lands on the page asked for, an
administrator creates a user with a role (its password shown once) who then signs in and
must change it, and an API token is shown once and revoked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from fleet.access import PersonRole
from tests.browser.people_served import Served, page_errors, served_cloud
from tests.identity_kit import make_user
from tests.people.kit import PASSWORD

DATED = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[Served]:
    async with served_cloud(tmp_path, login_max_failures=3, login_lockout_s=900) as served:
        await make_user(served.sessions, "admin", PersonRole.ADMINISTRATOR, "qh")
        yield served


async def sign_in(page: Page, base: str, username: str, password: str, query: str = "") -> None:
    await page.goto(f"{base}/login{query}")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login-submit")


async def test_wrong_password_then_right_lands_on_next(browser: Browser, cloud: Served) -> None:
    page = await browser.new_page()
    errors = page_errors(page)
    await sign_in(page, cloud.base_url, "admin", "not my password", "?next=%2Fusers")
    await expect(page.locator("#login-error")).to_contain_text("用户名或密码错误")
    await expect(page.locator("#change-form")).to_be_hidden()
    await expect(page).to_have_url(re.compile(r"/login\?next="))
    await page.fill("#password", PASSWORD)
    await page.click("#login-submit")
    await expect(page).to_have_url(f"{cloud.base_url}/users")
    await expect(page.locator('[data-role="admin"] option:checked')).to_have_text("管理员")
    await expect(page.locator("#kf-user")).to_contain_text("admin")
    assert errors == []
    await page.close()


async def test_lockout_is_shown_with_its_time(browser: Browser, cloud: Served) -> None:
    page = await browser.new_page()
    errors = page_errors(page)
    await sign_in(page, cloud.base_url, "admin", "wrong one", "?lang=en")
    await expect(page.locator("#login-error")).to_contain_text("username or the password is wrong")
    for _ in range(2):
        await page.fill("#password", "wrong again")
        await page.click("#login-submit")
    error = page.locator("#login-error")
    await expect(error).to_contain_text("locked")
    await expect(error).to_contain_text(DATED)
    await page.fill("#password", PASSWORD)  # the right password does not open it
    await page.click("#login-submit")
    await expect(error).to_contain_text("ask an administrator to unlock it")
    await expect(page).to_have_url(re.compile(r"/login"))
    await sign_in(page, cloud.base_url, "admin", PASSWORD)  # the same, in Chinese
    await expect(error).to_contain_text("已被锁定")
    await expect(error).to_contain_text(DATED)
    assert errors == []
    await page.close()


async def _accept(dialog: Dialog) -> None:
    await dialog.accept()


async def test_admin_creates_a_user_who_signs_in(browser: Browser, cloud: Served) -> None:
    page = await browser.new_page()
    errors = page_errors(page)
    await sign_in(page, cloud.base_url, "admin", PASSWORD, "?next=%2Fusers")
    await expect(page.locator('[data-user="admin"]')).to_be_visible()
    await page.fill("#new-username", "zhang.wei")
    await page.fill("#new-display", "张伟")
    await page.select_option("#new-role", "technician")
    await page.fill("#new-scope", "qh/hx/golmud/hhl")
    await page.click("#create-submit")
    row = page.locator('[data-user="zhang.wei"]')
    await expect(row.locator("select[data-role] option:checked")).to_have_text("技术员")
    await expect(row).to_contain_text("qh/hx/golmud/hhl")
    await expect(page.locator("#issued")).to_contain_text("只显示这一次")
    password = await page.locator("#once-value").inner_text()
    assert len(password) >= 20
    assert errors == []

    other = await browser.new_context()  # the new person, on their own machine
    them = await other.new_page()
    them_errors = page_errors(them)
    await sign_in(them, cloud.base_url, "zhang.wei", password, "?next=%2Ftokens")
    await expect(them.locator("#change-form")).to_be_visible()
    await expect(them.locator("#login-form")).to_be_hidden()
    await them.fill("#new-password", "my own long passphrase")
    await them.fill("#new-password2", "my own long passphrase")
    await them.click("#change-submit")
    await expect(them).to_have_url(f"{cloud.base_url}/tokens")
    await expect(them.locator("#kf-user")).to_contain_text("zhang.wei")
    assert them_errors == []
    await other.close()
    await page.close()


async def test_admin_changes_a_role_and_disables(browser: Browser, cloud: Served) -> None:
    await make_user(cloud.sessions, "li.na", PersonRole.WINDOW_STAFF, "qh/hx/golmud/hhl")
    page = await browser.new_page()
    page.on("dialog", _accept)
    errors = page_errors(page)
    await sign_in(page, cloud.base_url, "admin", PASSWORD, "?next=%2Fusers")
    row = page.locator('[data-user="li.na"]')
    await row.locator("select[data-role]").select_option("auditor")
    await expect(page.locator("#notice")).to_contain_text("li.na 的角色已改为审计员")
    await row.locator('[data-action="disable"]').click()
    await expect(row).to_contain_text("已停用")  # reloaded from the API:
    await expect(row.locator("select[data-role] option:checked")).to_have_text("审计员")
    await expect(row.locator('[data-action="enable"]')).to_be_visible()
    other = await browser.new_context()
    them = await other.new_page()
    await sign_in(them, cloud.base_url, "li.na", PASSWORD)
    await expect(them.locator("#login-error")).to_contain_text("该账户已被停用")
    await other.close()
    assert errors == []
    await page.close()


async def test_token_shown_once_and_revoked(browser: Browser, cloud: Served) -> None:
    context = await browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    page.on("dialog", _accept)
    errors = page_errors(page)
    await sign_in(page, cloud.base_url, "admin", PASSWORD, "?next=%2Ftokens%3Flang%3Den")
    await expect(page.locator("#h-create")).to_have_text("New token")
    await page.fill("#t-name", "queue-system")
    await page.select_option("#t-role", "operator")
    await page.fill("#t-days", "30")
    await page.click("#create-submit")
    await expect(page.locator("#secret")).to_contain_text("shown only this once")
    secret = await page.locator("#once-value").inner_text()
    assert re.fullmatch(r"kfa_[0-9a-f]{16}_[A-Za-z0-9_-]{43}", secret)
    await page.click("#once-copy")
    await expect(page.locator("#once-copy")).to_have_text("Copied")
    assert await page.evaluate("navigator.clipboard.readText()") == secret
    row = page.locator("tr[data-token]", has_text="queue-system")
    await expect(row).to_contain_text("active")
    await expect(page.locator("#tokens")).not_to_contain_text(secret)
    await row.locator('[data-action="revoke"]').click()
    await expect(row).to_contain_text("revoked")
    await expect(page.locator("#notice")).to_contain_text("queue-system revoked")
    assert errors == []
    await context.close()
