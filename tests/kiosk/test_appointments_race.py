"""Two citizens race for the last place of a slot: exactly one gets it, on SQLite and on
PostgreSQL (the conditional ``UPDATE ... WHERE booked < capacity``); the same person racing
themselves for one day gets one booking."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cloud.kiosk import appointments_service
from cloud.kiosk.appointments_tables import AppointmentBooking, AppointmentSlot
from tests.faults.databases import fresh_postgres
from tests.kiosk.appointments_kit import OTHER, PERSON, ApptEnv, appt_env, id_number


async def _race_for_the_last_place(env: ApptEnv) -> None:
    slot = await env.slot(capacity=2)
    assert (await env.book(slot, person=id_number("63280119700101000"))).status_code == 201
    a, b = await asyncio.gather(env.book(slot, person=PERSON), env.book(slot, person=OTHER))
    assert sorted((a.status_code, b.status_code)) == [201, 409]
    lost = a if a.status_code == 409 else b
    assert lost.json()["code"] == "slot_full"
    async with env.cloud.parts.sessions() as s:
        row = await s.get(AppointmentSlot, slot)
        held = await s.scalar(
            select(func.count())
            .select_from(AppointmentBooking)
            .where(AppointmentBooking.slot_id == slot)
        )
    assert row is not None and (row.booked, held) == (2, 2)


async def _same_person_twice(env: ApptEnv) -> None:
    slot = await env.slot(service="pension", capacity=5)
    a, b = await asyncio.gather(
        env.book(slot, service="pension", person=PERSON),
        env.book(slot, service="pension", person=PERSON),
    )
    assert sorted((a.status_code, b.status_code)) == [201, 409]
    assert (a if a.status_code == 409 else b).json()["code"] == "already_booked"
    async with env.cloud.parts.sessions() as s:
        row = await s.get(AppointmentSlot, slot)
    assert row is not None and row.booked == 1  # the loser's place was given back


async def test_the_last_place_on_sqlite(tmp_path: Path, amqtt_url: str) -> None:
    async with appt_env(tmp_path, amqtt_url) as env:
        await _race_for_the_last_place(env)
        await _same_person_twice(env)


@pytest.mark.postgres
async def test_the_last_place_on_postgres(
    tmp_path: Path, amqtt_url: str, postgres_url: str, uid: str
) -> None:
    with fresh_postgres(postgres_url, f"kfappt_{uid}") as url:
        async with appt_env(tmp_path, amqtt_url, database_url=url) as env:
            await _race_for_the_last_place(env)
            await _same_person_twice(env)


async def test_a_stale_read_cannot_overbook(
    tmp_path: Path, amqtt_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite runs the two requests above one after the other, so here the interleaving is
    forced: the read-time check passes as if it read before the other booking committed; the
    conditional UPDATE alone must still refuse the place that is gone."""
    async with appt_env(tmp_path, amqtt_url) as env:
        slot = await env.slot(capacity=1)
        assert (await env.book(slot, person=OTHER)).status_code == 201
        monkeypatch.setattr(appointments_service, "check_bookable", lambda *a, **k: None)
        r = await env.book(slot, person=PERSON)
        assert (r.status_code, r.json()["code"]) == (409, "slot_full")
        async with env.cloud.parts.sessions() as s:
            row = await s.get(AppointmentSlot, slot)
        assert row is not None and row.booked == 1
