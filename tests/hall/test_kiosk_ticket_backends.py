"""The kiosk asks the site's own backend: a site not listed for the city system takes its
tickets from the built-in queue (here a small fake of the protocol); a duplicate request racing
the first gives its extra ticket back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloud.errors import NotFound
from cloud.hall.backend import TicketSource, TicketView
from protocols.hall import TicketState
from tests.hall.kiosk_kit import TGLS, KioskEnv, configure_services, kiosk_device, kiosk_env


class FakeBuiltin:
    """Just enough of the built-in queue for the kiosk: take, read, cancel."""

    def __init__(self) -> None:
        self.tickets: dict[int, TicketView] = {}

    async def take(
        self, site: str, service_code: str, *, source: TicketSource, appointment_id: str = ""
    ) -> TicketView:
        n = len(self.tickets) + 1
        view = TicketView(
            n, site, "HJ", service_code, f"A{n:03d}", TicketState.ISSUED, source, datetime.now(UTC)
        )
        self.tickets[n] = view
        return view

    async def ticket(self, site: str, ticket_id: int) -> TicketView:
        if ticket_id not in self.tickets:
            raise NotFound(f"no ticket {ticket_id}")
        return self.tickets[ticket_id]

    async def cancel(self, site: str, ticket_id: int) -> TicketView:
        self.tickets[ticket_id] = replace(self.tickets[ticket_id], state=TicketState.CANCELLED)
        return self.tickets[ticket_id]

    def __getattr__(self, name: str) -> object:  # the window operations: not the kiosk's
        raise AssertionError(f"the kiosk must not call {name}")


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[KioskEnv]:
    async with kiosk_env(tmp_path, amqtt_url) as e:
        yield e


async def test_a_site_not_on_the_city_system_uses_the_builtin_queue(env: KioskEnv) -> None:
    fake = FakeBuiltin()
    backends = env.cloud.parts.hall.backends
    assert backends is not None
    backends.builtin = fake  # type: ignore[assignment]
    await configure_services(env.cloud, TGLS)
    kiosk = await kiosk_device(env.cloud, "kiosk-tgls-1", TGLS, printer=True)
    r = await kiosk.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert r.status_code == 201, r.text
    assert (r.json()["site"], r.json()["ticket_no"]) == (TGLS, "A001")
    assert list(fake.tickets) == [1] and env.sim.state.tickets == {}


async def test_without_a_builtin_queue_a_site_off_the_city_system_is_503(env: KioskEnv) -> None:
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
