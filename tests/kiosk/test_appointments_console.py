"""The console's appointment calendar: generating a week of slots (idempotent, audited, bad
times refused), the slots of a hall with places held, the bookings of a day masked, and the
caller's scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from cloud.db.models import utcnow
from cloud.kiosk.appointments_demo import DEMO_TIMES, seed_demo_slots
from fleet.access import PersonRole
from fleet.queue import hall_day
from tests.kiosk.appointments_kit import HHL, PERSON, TGLS, ApptEnv, appt_env


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[ApptEnv]:
    async with appt_env(tmp_path, amqtt_url) as e:
        yield e


def _monday_after_tomorrow() -> str:
    day = hall_day(utcnow()) + timedelta(days=2)
    return (day + timedelta(days=(7 - day.weekday()) % 7)).isoformat()


async def test_generate_a_week_then_book_from_it(env: ApptEnv) -> None:
    operator = await env.cloud.as_role(PersonRole.OPERATOR, TGLS)
    plan = {
        "service": "household",
        "start": _monday_after_tomorrow(),
        "times": ["09:00-09:30", "09:30-10:00"],
        "capacity": 3,
    }
    r = await operator.post("/api/v1/appointments/slots", params={"site": TGLS}, json=plan)
    assert (r.status_code, r.json()) == (201, {"created": 10, "skipped": 0})  # Mon..Fri × 2
    again = await operator.post("/api/v1/appointments/slots", params={"site": TGLS}, json=plan)
    assert again.json() == {"created": 0, "skipped": 10}
    cal = await operator.get(
        "/api/v1/appointments/slots", params={"site": TGLS, "start": plan["start"], "days": 7}
    )
    slots = cal.json()
    assert len(slots) == 10 and slots[0]["text"] == f"{plan['start']} 09:00-09:30"
    assert len({s["day"] for s in slots}) == 5  # no Saturday or Sunday by default
    booked = await env.book(slots[0]["id"])
    assert booked.status_code == 201, booked.text
    cal = await operator.get(
        "/api/v1/appointments/slots", params={"site": TGLS, "start": plan["start"], "days": 1}
    )
    assert (cal.json()[0]["booked"], cal.json()[0]["free"]) == (1, 2)
    day = await operator.get("/api/v1/appointments", params={"site": TGLS, "date": plan["start"]})
    [b] = day.json()
    assert (b["ref"], b["state"], b["name_masked"]) == (booked.json()["ref"], "booked", "张*")
    assert PERSON not in day.text and "13800138000" not in day.text
    rows = await env.cloud.audit_rows("appointments.slots.generate")
    assert len(rows) == 2 and rows[0].site == TGLS


async def test_bad_plans_and_scope(env: ApptEnv) -> None:
    operator = await env.cloud.as_role(PersonRole.OPERATOR, TGLS)
    start = _monday_after_tomorrow()
    base = {"service": "household", "start": start, "capacity": 2}
    site = {"site": TGLS}
    r = await operator.post(
        "/api/v1/appointments/slots", params=site, json={**base, "times": ["10:00-09:00"]}
    )
    assert r.status_code == 422 and "ends before it starts" in r.json()["message"]
    overlap = {**base, "times": ["09:00-10:00", "09:30-10:30"]}
    r = await operator.post("/api/v1/appointments/slots", params=site, json=overlap)
    assert r.status_code == 422 and "overlap" in r.json()["message"]
    unknown = {**base, "service": "passport", "times": ["09:00-10:00"]}
    r = await operator.post("/api/v1/appointments/slots", params=site, json=unknown)
    assert r.status_code == 422 and "household" in r.json()["message"]
    elsewhere = await operator.get("/api/v1/appointments/slots", params={"site": HHL})
    assert elsewhere.status_code == 404
    viewer = await env.cloud.as_role(PersonRole.AUDITOR, TGLS)
    r = await viewer.post(
        "/api/v1/appointments/slots", params=site, json={**base, "times": ["09:00-10:00"]}
    )
    assert r.status_code == 403
    assert (await viewer.get("/api/v1/appointments", params=site)).status_code == 200


async def test_demo_slots_for_every_hall_once(env: ApptEnv) -> None:
    calendar = env.services.calendar
    created = await seed_demo_slots(env.cloud.parts.sessions, calendar)
    assert created == 2 * 2 * len(DEMO_TIMES) * 3  # two halls × two services × 3 days
    assert await seed_demo_slots(env.cloud.parts.sessions, calendar) == 0
    offered = (await env.tgls.get("/api/v1/kiosk/appointments/slots")).json()
    assert offered and all(s["free"] == 4 for s in offered)
