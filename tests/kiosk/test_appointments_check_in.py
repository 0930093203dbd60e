"""Checking in at the kiosk: a queue ticket with the appointment's priority, printed on this
kiosk, from the built-in queue or the city's system; refused when cancelled, already checked
in, too early, too late, or at another hall; missed appointments become no-shows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db import sites as site_repo
from cloud.db.hall import HallWindow
from cloud.db.models import Job, utcnow
from cloud.hall.queue_tables import HallTicket
from cloud.kiosk.appointments_tables import AppointmentBooking
from tests.hall.kiosk_kit import kiosk_device
from tests.kiosk.appointments_kit import HHL, OTHER, TGLS, ApptEnv, appt_env


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[ApptEnv]:
    async with appt_env(tmp_path, amqtt_url) as e:
        yield e


async def _jobs(env: ApptEnv) -> list[Job]:
    async with env.cloud.parts.sessions() as s:
        return list((await s.scalars(select(Job))).all())


async def test_check_in_prints_a_priority_ticket_from_the_builtin_queue(env: ApptEnv) -> None:
    walk_in = await env.tgls.post("/api/v1/kiosk/tickets", json={"service": "household"})
    assert walk_in.status_code == 201
    ref = (await env.book(await env.slot(TGLS))).json()["ref"]
    r = await env.act(ref, "check-in")
    assert r.status_code == 200, r.text
    out = r.json()
    assert (out["booking"]["state"], out["booking"]["ticket_no"]) == ("checked_in", "A002")
    assert out["priority"] is True and out["ticket_no"] == "A002"
    async with env.cloud.parts.sessions() as s:
        t = await s.get(HallTicket, out["ticket_id"])
    assert t is not None and (t.priority, t.source, t.appointment_id) == (True, "appointment", ref)
    job = next(j for j in await _jobs(env) if j.id == out["job_id"])
    assert (job.kind, job.target_device_id) == ("print_receipt", "kiosk-tgls-1")
    assert job.purpose == "ticket"  # the print audit counts it as a ticket
    texts = [line.get("text", "") for line in job.params["lines"]]
    assert f"预约签到 Appointment {ref}" in texts and "A002" in texts
    queue = env.cloud.parts.hall.queue
    assert queue is not None
    await _open_window(env)
    called = await queue.call_next(TGLS, "1")
    assert called is not None and called.ticket_no == "A002"  # ahead of the walk-in A001


async def _open_window(env: ApptEnv) -> None:
    async with env.cloud.parts.sessions() as s:
        site = await site_repo.require(s, TGLS)
        s.add(HallWindow(site_id=site.id, number="1", queue_codes=["HJ"], status="open"))
        await s.commit()


async def test_check_in_through_the_city_queue(env: ApptEnv) -> None:
    ref = (await env.book(await env.slot(HHL), kiosk=env.hhl)).json()["ref"]
    r = await env.act(ref, "check-in", kiosk=env.hhl)
    assert r.status_code == 200, r.text
    sim_ticket = env.city.state.tickets[r.json()["ticket_id"]]
    assert sim_ticket.business_type == "HJ"
    assert (await env.act(ref, "check-in", kiosk=env.hhl)).json()["code"] == (
        "appointment_checked_in"
    )
    assert len(env.city.state.tickets) == 1


async def test_a_cancelled_appointment_cannot_check_in(env: ApptEnv) -> None:
    ref = (await env.book(await env.slot())).json()["ref"]
    assert (await env.act(ref, "cancel")).status_code == 200
    r = await env.act(ref, "check-in")
    assert (r.status_code, r.json()["code"]) == (409, "appointment_cancelled")
    assert "已取消" in r.json()["citizen_message"]
    assert await _jobs(env) == []


async def test_too_early_too_late_and_another_hall(env: ApptEnv) -> None:
    start = utcnow() + timedelta(hours=1)
    ref = (await env.book(await env.slot(start=start))).json()["ref"]
    r = await env.act(ref, "check-in")
    assert (r.status_code, r.json()["code"]) == (409, "too_early")
    assert "签到" in r.json()["citizen_message"]
    r = await env.act(ref, "check-in", kiosk=env.hhl)
    assert (r.status_code, r.json()["code"]) == (409, "wrong_site")
    assert (await env.act(ref, "check-in", person=OTHER)).status_code == 404
    env.set_now(start + timedelta(minutes=31))
    r = await env.act(ref, "check-in")
    assert (r.status_code, r.json()["code"]) == (409, "too_late")
    assert await _jobs(env) == []


async def test_missed_appointments_become_no_shows(env: ApptEnv) -> None:
    start = utcnow() + timedelta(minutes=5)
    slot = await env.slot(start=start, capacity=2)
    missed = (await env.book(slot)).json()["ref"]
    kept = (await env.book(slot, person=OTHER)).json()["ref"]
    assert (await env.act(kept, "check-in", person=OTHER)).status_code == 200
    env.set_now(start + timedelta(minutes=29))
    assert await env.services.calendar.sweep() == 0  # the slot has not ended yet
    env.set_now(start + timedelta(minutes=31))
    assert await env.services.calendar.sweep() == 1
    async with env.cloud.parts.sessions() as s:
        states = dict(
            (await s.execute(select(AppointmentBooking.ref, AppointmentBooking.state))).all()
        )
    assert states == {missed: "no_show", kept: "checked_in"}
    assert (await env.act(missed, "check-in")).json()["code"] == "appointment_no_show"


async def test_two_check_ins_racing_print_one_ticket(env: ApptEnv) -> None:
    """Both pass the state check while the city system answers; the second to mark the
    booking gives its ticket back to the queue."""
    ref = (await env.book(await env.slot(HHL), kiosk=env.hhl)).json()["ref"]
    a, b = await asyncio.gather(
        env.act(ref, "check-in", kiosk=env.hhl), env.act(ref, "check-in", kiosk=env.hhl)
    )
    assert sorted((a.status_code, b.status_code)) == [200, 409]
    assert (a if a.status_code == 409 else b).json()["code"] == "appointment_checked_in"
    kept = (a if a.status_code == 200 else b).json()["ticket_id"]
    states = {tid: t.status for tid, t in env.city.state.tickets.items()}
    assert len(states) in (1, 2) and states[kept] != "cancelled"
    assert [s for tid, s in states.items() if tid != kept] in ([], ["cancelled"])
    assert len([j for j in await _jobs(env) if j.kind == "print_receipt"]) == 1


async def test_a_kiosk_without_a_printer_takes_no_ticket(env: ApptEnv) -> None:
    bare = await kiosk_device(env.cloud, "kiosk-tgls-2", TGLS, printer=False)
    ref = (await env.book(await env.slot(TGLS))).json()["ref"]
    r = await env.act(ref, "check-in", kiosk=bare)
    assert r.status_code == 409 and "cannot print" in r.json()["message"]
    async with env.cloud.parts.sessions() as s:
        assert (await s.scalars(select(HallTicket))).all() == []
        booking = await s.scalar(select(AppointmentBooking).where(AppointmentBooking.ref == ref))
    assert booking is not None and booking.state == "booked"  # it can check in elsewhere
    assert (await env.act(ref, "check-in")).status_code == 200


async def test_the_city_queue_down_loses_nothing(env: ApptEnv) -> None:
    ref = (await env.book(await env.slot(HHL), kiosk=env.hhl)).json()["ref"]
    env.city.faults.fail_next, env.city.faults.fail_status = 5, 503
    r = await env.act(ref, "check-in", kiosk=env.hhl)
    assert r.status_code == 503 and r.json()["code"] == "city_queue_unavailable"
    assert await _jobs(env) == []
    env.city.faults.fail_next = 0
    r = await env.act(ref, "check-in", kiosk=env.hhl)  # the booking still stands
    assert r.status_code == 200, r.text
