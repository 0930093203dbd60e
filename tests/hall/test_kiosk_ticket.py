"""A kiosk takes a queue ticket (here from the city queue simulator) and the same kiosk prints
it: number large, people ahead, and a QR to the phone page; the same request id never takes a
second ticket; only a device may call, and only for its own site."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fleet.access import PersonRole
from tests.hall.kiosk_kit import HHL, PHONE_URL, TGLS, KioskEnv, kiosk_device, kiosk_env


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[KioskEnv]:
    async with kiosk_env(tmp_path, amqtt_url) as e:
        yield e


async def test_a_ticket_is_taken_and_printed_on_this_kiosk(env: KioskEnv) -> None:
    r = await env.take("household", request_id="press-1")
    assert r.status_code == 201, r.text
    out = r.json()
    assert (out["ticket_no"], out["state"], out["people_ahead"]) == ("A001", "issued", 0)
    assert (out["site"], out["queue"], out["queue_name"], out["service_name"]) == (
        HHL,
        "HJ",
        "户籍",
        "户籍业务",
    )
    assert out["follow_url"].startswith(f"{PHONE_URL}/t/")
    job = await env.job(out["job_id"])
    assert (job.kind, job.target_device_id) == ("print_receipt", "kiosk-hhl-1")
    assert job.purpose == "ticket"  # the print audit counts it as a ticket
    lines = job.params["lines"]
    texts = [line.get("text", "") for line in lines]
    number = next(line for line in lines if line.get("text") == "A001")
    assert number["width"] >= 3 and number["bold"]
    assert any("您前面还有 0 人" in t for t in texts) and any("户籍" in t for t in texts)
    assert any("取号时间" in t for t in texts)
    qr = [line for line in lines if line["type"] == "qr"]
    assert [q["data"] for q in qr] == [out["follow_url"]]
    assert env.sim.state.tickets[out["ticket_id"]].business_type == "HJ"


async def test_people_ahead_are_counted_and_printed(env: KioskEnv) -> None:
    await env.take("household")
    out = (await env.take("household")).json()
    assert (out["ticket_no"], out["people_ahead"]) == ("A002", 1)
    job = await env.job(out["job_id"])
    assert any("您前面还有 1 人" in line.get("text", "") for line in job.params["lines"])


async def test_the_same_request_id_returns_the_same_ticket_and_job(env: KioskEnv) -> None:
    first = await env.take("household", request_id="press-7")
    again = await env.take("household", request_id="press-7")
    assert (first.status_code, again.status_code) == (201, 200)
    a, b = first.json(), again.json()
    assert (a["ticket_id"], a["job_id"], a["follow_url"]) == (
        b["ticket_id"],
        b["job_id"],
        b["follow_url"],
    )
    assert len(env.sim.state.tickets) == 1 and len(await env.jobs()) == 1
    other = await env.take("household", request_id="press-8")
    assert other.json()["ticket_no"] == "A002"


async def test_an_unknown_service_is_422_listing_the_services(env: KioskEnv) -> None:
    r = await env.take("passport")
    assert r.status_code == 422 and r.json()["code"] == "unknown_service"
    message = r.json()["message"]
    assert "passport" in message and "household (户籍业务)" in message and "pension" in message
    assert env.sim.state.tickets == {} and await env.jobs() == []


async def test_only_a_device_may_take_a_ticket(env: KioskEnv) -> None:
    anon = await env.cloud.client()
    r = await anon.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert (r.status_code, r.json()["code"]) == (401, "no_credentials")
    admin = await env.cloud.as_role(PersonRole.ADMINISTRATOR)
    r = await admin.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert (r.status_code, r.json()["code"]) == (403, "device_only")
    wrong = await env.cloud.client({"Authorization": "Basic a2lvc2staGhsLTE6d3Jvbmc="})
    r = await wrong.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert r.status_code == 401
    assert env.sim.state.tickets == {}


async def test_a_kiosk_without_a_receipt_printer_is_refused_before_a_ticket(
    env: KioskEnv,
) -> None:
    bare = await kiosk_device(env.cloud, "kiosk-hhl-bare", HHL, printer=False)
    r = await bare.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert r.status_code == 409 and "cannot print tickets" in r.json()["message"]
    assert env.sim.state.tickets == {}


async def test_a_kiosk_takes_tickets_only_at_its_own_site(env: KioskEnv) -> None:
    away = await kiosk_device(env.cloud, "kiosk-tgls-1", TGLS, printer=True)
    r = await away.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert r.status_code == 422 and TGLS in r.json()["message"]
    assert "none configured" in r.json()["message"]
    assert env.sim.state.tickets == {}


async def test_the_city_system_down_is_a_503_and_prints_nothing(env: KioskEnv) -> None:
    env.sim.faults.fail_next = 2
    r = await env.take("household")
    assert (r.status_code, r.json()["code"]) == (503, "city_queue_unavailable")
    assert "KFLEET_HALL_CITY_QUEUE" in r.json()["message"]
    assert await env.jobs() == []


async def test_a_city_refusal_is_passed_on_with_its_code(env: KioskEnv) -> None:
    env.sim.state.suspended.add("SB")
    r = await env.take("pension")
    assert (r.status_code, r.json()["code"]) == (409, "city_business_suspended")
    assert await env.jobs() == []
