"""A browser page signed in to the console: the session cookies a login would have set, made
straight in the demo cloud's database (the login page itself is tested on its own)."""

from __future__ import annotations

from playwright.async_api import Browser, Page

from cloud.auth.resolve import SESSION_COOKIE
from fleet.access import PersonRole
from kfleet.world.demo import DemoWorld
from tests.identity_kit import ROOT_SCOPE, make_console_login

CSRF_COOKIE = "kfleet_csrf"


async def signed_in_page(
    browser: Browser,
    world: DemoWorld,
    username: str = "console-admin",
    role: PersonRole = PersonRole.ADMINISTRATOR,
    scope: str = ROOT_SCOPE,
) -> Page:
    """A new page in its own browser context holding ``username``'s console session."""
    assert world.sessions is not None, "the demo world exposes its database sessions"
    login = await make_console_login(world.sessions, username, role, scope)
    context = await browser.new_context()
    await context.add_cookies(
        [
            {
                "name": SESSION_COOKIE,
                "value": login.cookie,
                "url": world.base_url,
                "httpOnly": True,
                "sameSite": "Strict",
            },
            {"name": CSRF_COOKIE, "value": login.csrf, "url": world.base_url, "sameSite": "Strict"},
        ]
    )
    return await context.new_page()
