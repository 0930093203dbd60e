"""The kiosk asks the site's own backend: a site not listed for the city system takes its
tickets from the built-in queue (``cloud.hall.queue_service``); a duplicate request racing the
first gives its extra ticket back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.hall.queue_service import BuiltinQueue
from protocols.hall import TicketState
from tests.hall.kiosk_kit import (
    PHONE_URL,
    TGLS,
    KioskEnv,
    configure_services,
    kiosk_device,
    kiosk_env,
)


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[KioskEnv]:
    async with kiosk_env(tmp_path, amqtt_url) as e:
        yield e


async def test_a_site_not_on_the_city_system_uses_the_builtin_queue(env: KioskEnv) -> None:
    builtin = env.cloud.parts.hall.queue
    assert isinstance(builtin, BuiltinQueue)  # as build_hall wires it
    await configure_services(env.cloud, TGLS)
    kiosk = await kiosk_device(env.cloud, "kiosk-tgls-1", TGLS, printer=True)
    first = await kiosk.post("/api/v1/kiosk/tickets", json={"service": "household"})
    r = await kiosk.post("/api/v1/kiosk/tickets", json={"service": "pension"})
    assert (first.status_code, r.status_code) == (201, 201), r.text
    out = r.json()
    assert (out["site"], out["ticket_no"], out["people_ahead"]) == (TGLS, "A002", 1)
    assert env.sim.state.tickets == {}  # nothing went to the city system
    held = await builtin.ticket(TGLS, out["ticket_id"])
    assert (held.ticket_no, held.source, held.state) == ("A002", "kiosk", TicketState.ISSUED)
    page = await (await env.cloud.client()).get(out["follow_url"].removeprefix(PHONE_URL))
    assert 'id="ticket-no">A002<' in page.text and 'id="ahead">1<' in page.text


async def test_without_a_builtin_queue_a_site_off_the_city_system_is_503(env: KioskEnv) -> None:
    hall, backends = env.cloud.parts.hall, env.cloud.parts.hall.backends
    assert backends is not None
    hall.queue, backends.builtin = None, None  # a cloud that runs only city sites
    await configure_services(env.cloud, TGLS)
    kiosk = await kiosk_device(env.cloud, "kiosk-tgls-1", TGLS, printer=True)
    r = await kiosk.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert (r.status_code, r.json()["code"]) == (503, "queue_not_running")


async def test_a_racing_duplicate_gives_its_extra_ticket_back(env: KioskEnv) -> None:
    a, b = await asyncio.gather(
        env.take("household", request_id="press-9"), env.take("household", request_id="press-9")
    )
    assert {a.status_code, b.status_code} <= {200, 201}, (a.text, b.text)
    assert a.json()["ticket_id"] == b.json()["ticket_id"]
    assert a.json()["job_id"] == b.json()["job_id"] and len(await env.jobs()) == 1
    states = sorted(t.status for t in env.sim.state.tickets.values())
    assert states in (["waiting"], ["cancelled", "waiting"])
