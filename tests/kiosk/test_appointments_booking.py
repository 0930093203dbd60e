"""Booking at the kiosk: the slots offered, a booking confirmed by text, the booked-out slot,
one booking per person per service per day, a failed text that loses nothing, my
appointments, and cancelling (texted, place freed, not after the slot started)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud.db.models import utcnow
from cloud.kiosk.appointments_tables import AppointmentBooking, AppointmentSlot
from fleet.access import PersonRole
from fleet.queue import HALL_TZ, hall_day
from tests.kiosk.appointments_kit import OTHER, PERSON, PHONE, TGLS, ApptEnv, appt_env


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[ApptEnv]:
    async with appt_env(tmp_path, amqtt_url) as e:
        yield e


async def test_a_booking_is_confirmed_by_text_and_keeps_no_id_number(env: ApptEnv) -> None:
    slot = await env.slot(capacity=3)
    offered = (await env.tgls.get("/api/v1/kiosk/appointments/slots")).json()
    assert [(s["id"], s["free"], s["service_name"]) for s in offered] == [(slot, 3, "户籍业务")]
    r = await env.book(slot)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["ref"].startswith("Y") and out["state"] == "booked" and out["sms_sent"]
    assert (out["site"], out["service_name"], out["phone_masked"]) == (
        TGLS,
        "户籍业务",
        "138****8000",
    )
    assert out["id_masked"] == PERSON[:4] + "**********" + PERSON[-4:]
    [text] = env.sms.sent
    assert (text.phone, text.template_id, text.params["ref"]) == (
        PHONE,
        "KF_APPT_BOOKED",
        out["ref"],
    )
    assert text.params["slot"] == out["slot_text"] and "户籍业务" in text.text
    offered = (await env.tgls.get("/api/v1/kiosk/appointments/slots")).json()
    assert offered[0]["free"] == 2
    async with env.cloud.parts.sessions() as s:
        row = (await s.scalars(select(AppointmentBooking))).one()
    assert PERSON not in (row.person, row.id_masked, row.name_masked) and row.name_masked == "张*"


async def test_a_booked_out_slot_is_refused_in_the_citizens_words(env: ApptEnv) -> None:
    slot = await env.slot(capacity=1)
    assert (await env.book(slot)).status_code == 201
    r = await env.book(slot, person=OTHER)
    assert r.status_code == 409
    body = r.json()
    assert (
        body["code"] == "slot_full" and body["citizen_message"] == "该时段已约满，请选择其他时段。"
    )
    assert "fully booked" in body["citizen_message_en"]
    assert len(env.sms.sent) == 1
    async with env.cloud.parts.sessions() as s:
        assert (await s.get(AppointmentSlot, slot)).booked == 1  # type: ignore[union-attr]


async def test_one_booking_per_person_per_service_per_day(env: ApptEnv) -> None:
    # 10:00 tomorrow in the hall: both slots fall on one hall day whatever the clock says
    # (an hour from now at 23:xx Beijing time put the later slot on the next day)
    tomorrow = hall_day(utcnow()) + timedelta(days=1)
    start = datetime.combine(tomorrow, time(10), tzinfo=HALL_TZ)
    first = await env.slot(start=start)
    later = await env.slot(start=start + timedelta(minutes=30))
    other_service = await env.slot(start=start, service="pension")
    assert (await env.book(first)).status_code == 201
    r = await env.book(later)
    assert (r.status_code, r.json()["code"]) == (409, "already_booked")
    assert "每人每天每项只能预约一次" in r.json()["citizen_message"]
    assert (await env.book(other_service, service="pension")).status_code == 201
    assert (await env.book(later, person=OTHER)).status_code == 201


async def test_bad_input_is_refused_before_anything_is_held(env: ApptEnv) -> None:
    slot = await env.slot()
    wrong_digit = PERSON[:-1] + ("0" if PERSON[-1] != "0" else "1")
    r = await env.book(slot, person=wrong_digit)
    assert (r.status_code, r.json()["code"]) == (422, "bad_id_number")
    assert "身份证号码有误" in r.json()["citizen_message"]
    assert (await env.book(slot, phone="12345")).status_code == 422
    r = await env.book(slot, service="pension")  # the slot is for household
    assert (r.status_code, r.json()["code"]) == (404, "unknown_slot")
    r = await env.book(slot, kiosk=env.hhl)  # a slot of another hall
    assert (r.status_code, r.json()["code"]) == (404, "unknown_slot")
    past = await env.slot(start=utcnow() - timedelta(minutes=1))
    assert (await env.book(past)).json()["code"] == "slot_started"
    far = await env.slot(start=utcnow() + timedelta(days=16))
    r = await env.book(far)
    assert (r.status_code, r.json()["code"]) == (422, "slot_too_far")
    assert env.sms.sent == []


async def test_a_failed_text_loses_nothing(env: ApptEnv) -> None:
    slot = await env.slot()
    env.sms.fail_next(1, 500)
    r = await env.book(slot)
    assert r.status_code == 201 and r.json()["sms_sent"] is False
    mine = await env.tgls.get("/api/v1/kiosk/appointments", params={"id_number": PERSON})
    assert [(b["ref"], b["state"]) for b in mine.json()] == [(r.json()["ref"], "booked")]


async def test_cancel_frees_the_place_texts_and_only_before_the_slot(env: ApptEnv) -> None:
    slot = await env.slot(capacity=1, start=utcnow() + timedelta(hours=2))
    ref = (await env.book(slot)).json()["ref"]
    r = await env.act(ref, "cancel", person=OTHER)  # someone else's card: as if unknown
    assert (r.status_code, r.json()["code"]) == (404, "unknown_appointment")
    r = await env.act(ref, "cancel")
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["sms_sent"]) == ("cancelled", True)
    assert [t.template_id for t in env.sms.sent] == ["KF_APPT_BOOKED", "KF_APPT_CANCELLED"]
    assert env.sms.sent[1].params["ref"] == ref
    assert (await env.act(ref, "cancel")).json()["code"] == "not_cancellable"
    again = await env.book(slot)  # the place is free again, and the day no longer held
    assert again.status_code == 201, again.text
    env.set_now(utcnow() + timedelta(hours=2, minutes=1))
    r = await env.act(again.json()["ref"], "cancel")
    assert (r.status_code, r.json()["code"]) == (409, "slot_started")


async def test_my_appointments_are_mine_only(env: ApptEnv) -> None:
    a = (await env.book(await env.slot())).json()["ref"]
    await env.book(await env.slot(), person=OTHER)
    r = await env.hhl.get("/api/v1/kiosk/appointments", params={"id_number": PERSON})
    assert [b["ref"] for b in r.json()] == [a]  # from any hall
    bad = await env.hhl.get("/api/v1/kiosk/appointments", params={"id_number": PERSON[:-1] + "Y"})
    assert bad.status_code == 422
    posted = await env.hhl.post("/api/v1/kiosk/appointments/mine", json={"id_number": PERSON})
    assert [b["ref"] for b in posted.json()] == [a]
    wrong = await env.hhl.post(
        "/api/v1/kiosk/appointments/mine",
        json={"id_number": PERSON[:-1] + "0" if PERSON[-1] != "0" else PERSON[:-1] + "1"},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "bad_id_number")


async def test_only_a_device_may_book(env: ApptEnv) -> None:
    slot = await env.slot()
    anon = await env.cloud.client()
    r = await anon.post("/api/v1/kiosk/appointments", json={"slot_id": slot})
    assert r.status_code == 401
    admin = await env.cloud.as_role(PersonRole.ADMINISTRATOR)
    r = await admin.get("/api/v1/kiosk/appointments/slots")
    assert (r.status_code, r.json()["code"]) == (403, "device_only")
