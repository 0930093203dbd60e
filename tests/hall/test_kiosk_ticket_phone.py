"""The phone page a ticket's QR opens: number, state, people ahead, the window once called;
a forged, altered or expired link is refused; the page needs nothing from elsewhere."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from cloud.hall import ticket_token
from cloud.link_signing import b64
from tests.hall.kiosk_kit import HHL, PHONE_URL, SECRET, KioskEnv, kiosk_env


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[KioskEnv]:
    async with kiosk_env(tmp_path, amqtt_url) as e:
        yield e


async def phone_get(env: KioskEnv, path: str) -> httpx.Response:
    anon = await env.cloud.client()  # a phone: no credentials at all
    return await anon.get(path)


def path_of(url: str) -> str:
    assert url.startswith(PHONE_URL)
    return url[len(PHONE_URL) :]


async def test_the_page_follows_the_ticket_from_waiting_to_called(env: KioskEnv) -> None:
    await env.take("household")
    mine = (await env.take("household")).json()
    page = await phone_get(env, path_of(mine["follow_url"]))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'id="ticket-no">A002<' in html and "等候中" in html and "Waiting" in html
    assert re.search(r'id="ahead">1<', html) and 'http-equiv="refresh"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing fetched from elsewhere
    env.sim.state.call_next("1", "S01")  # the first citizen, at window 1
    env.sim.state.call_next("2", "S02")  # ours, at window 2
    html = (await phone_get(env, path_of(mine["follow_url"]))).text
    assert "请到窗口办理" in html and 'id="window">2 号窗口<' in html and "Window 2" in html


async def test_a_finished_ticket_stops_refreshing(env: KioskEnv) -> None:
    mine = (await env.take("household")).json()
    env.sim.state.call_next("1", "")
    env.sim.state.complete("1", "")
    html = (await phone_get(env, path_of(mine["follow_url"]))).text
    assert "已办结" in html and 'http-equiv="refresh"' not in html


async def test_a_forged_or_altered_link_is_refused(env: KioskEnv) -> None:
    mine = (await env.take("household")).json()
    token = path_of(mine["follow_url"]).removeprefix("/t/")
    payload, _, mac = token.partition(".")
    other = ticket_token.sign("not-the-cloud-secret", HHL, mine["ticket_id"], datetime.now(UTC))
    tampered = b64(f"{HHL}\n{mine['ticket_id'] + 1}\n9999999999".encode())
    for bad in (other, f"{tampered}.{mac}", payload, f"{payload}.{mac[:-2]}xx", "x" * 500):
        r = await phone_get(env, f"/t/{bad}")
        assert r.status_code == 404, bad
        assert "not valid" in r.text and "A001" not in r.text


async def test_an_expired_link_is_refused(env: KioskEnv) -> None:
    mine = (await env.take("household")).json()
    yesterday = datetime.now(UTC) - timedelta(days=1)
    old = ticket_token.sign(SECRET, HHL, mine["ticket_id"], yesterday)
    r = await phone_get(env, f"/t/{old}")
    assert r.status_code == 404 and "expired" in r.text


async def test_the_city_system_down_is_a_503_page(env: KioskEnv) -> None:
    mine = (await env.take("household")).json()
    env.sim.faults.fail_next = 2
    r = await phone_get(env, path_of(mine["follow_url"]))
    assert r.status_code == 503 and "暂时无法查询" in r.text


def test_a_link_expires_at_the_halls_midnight() -> None:
    # 23:59 in Golmud (UTC+8) is 15:59 UTC; the link dies one minute later
    late = datetime(2026, 12, 6, 15, 59, tzinfo=UTC)
    token = ticket_token.sign(SECRET, HHL, 7, late)
    assert ticket_token.verify(SECRET, token, late + timedelta(seconds=59)).ticket_id == 7
    with pytest.raises(ticket_token.TicketLinkInvalid, match="expired"):
        ticket_token.verify(SECRET, token, late + timedelta(seconds=60))
    # just after midnight local time, the link lasts the whole new day
    early = datetime(2026, 12, 6, 16, 1, tzinfo=UTC)
    link = ticket_token.verify(SECRET, ticket_token.sign(SECRET, HHL, 7, early), early)
    assert link.expires - int(early.timestamp()) == 24 * 3600 - 60
