"""The cloud keeps no raw ID number or name, whatever a device sends.

A device that misbehaves (a buggy driver, a department's system feeding it) sends raw ID
numbers (18 digits, one ending in ``X``, legacy 15 digits, one as a JSON number, one in
full-width digits) and full names in every event kind's free-form fields and in a job's ack,
over Mosquitto to the real cloud (SQLite and PostgreSQL). Each event is stored, with the
personal data masked and the findings listed under ``_redacted``, counted in the bus
statistics and logged without the values. An ``idcard_read`` event whose fields are not in
masked form is rejected whole. Logs at DEBUG, every table and the API are then searched.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.envelope import MsgType, wall_ms
from protocols.jobs import AckState
from protocols.messages import EventBody, EventKind, Health, Metric, TelemetryBody
from protocols.privacy import REDACTED_KEY
from protocols.topics import DeviceChannel
from tests.cloudkit import RECEIPT_PRINTER, FakeDevice, running_cloud
from tests.e2e.privacy_capture import (
    console_api,
    debug_everywhere,
    dump_database,
    fresh_database,
    log_text,
)
from tests.e2e.privacy_people import Person, leaks, legacy_id, make_people

TIMEOUT = 10.0
Env = tuple[Parts, httpx.AsyncClient]
_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    yield from fresh_database(request, uid)


@pytest.fixture
async def env(
    tmp_path: Path, mosquitto_url: str, database_url: str, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[Env]:
    debug_everywhere(caplog)
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, mqtt_url=mosquitto_url, demo=True
    )
    async with running_cloud(settings) as pair:
        yield pair


def leaky_events(people: list[Person]) -> list[EventBody]:
    """One event per kind that has free text, each carrying raw personal data."""
    a, b, c, d = (p.card for p in people)
    old = next(p for p in people if p.card.birth_date.year < 2000)
    health = EventBody(
        kind=EventKind.PERIPHERAL_HEALTH,
        peripheral="rp1",
        health=Health.DEGRADED,
        reason=f"持证人 {a.id_number} 的回执未打印",
        # people[1]'s ID number ends in a digit: it also goes as a JSON number
        data={"姓名": a.name, "nested": [{"n": int(b.id_number)}], "id": b.id_number},
    )
    rejected = EventBody(
        kind=EventKind.MESSAGE_REJECTED,
        data={
            "topic": "kf/v1/dev/x/cmd",
            # a name in free text cannot be told from other words: only name fields are
            "message": f"小票里有证件号 {legacy_id(old.card.id_number)}",
            "name": c.name,
            c.id_number: "a key",
        },
    )
    rating = EventBody(
        kind=EventKind.RATING,
        peripheral="rating",
        data={
            "case_no": d.id_number.translate(_FULL_WIDTH),
            "code": 2,
            "name": d.name,
            "reasons": ["slow", d.id_number],
        },
    )
    return [health, rejected, rating]


async def _send_and_wait(cloud: Parts, dev: FakeDevice, events: list[EventBody]) -> None:
    async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
        for body in events:
            await dev.publish(DeviceChannel.EVT, body)
        for _ in events:
            assert await sub.wait_for(lambda v: v == "evt", TIMEOUT) == "evt"


async def _leaky_ack(http: httpx.AsyncClient, dev: FakeDevice, person: Person) -> str:
    """A job whose device answers with the raw ID number in its message and result."""
    lines = [{"type": "text", "text": "排队号 A001"}]
    job = {
        "kind": "print_receipt",
        "target": {"device_id": dev.device_id},
        "params": {"lines": lines},
    }
    r = await http.post("/api/v1/jobs", json=job)
    assert r.status_code == 201, r.text
    job_id: str = r.json()["id"]
    await dev.next_command()
    raw = person.card.id_number
    await dev.ack(job_id, AckState.SUCCEEDED, message=f"证件号 {raw}", result={"id": raw})
    r = await http.get(f"/api/v1/jobs/{job_id}", params={"wait_s": TIMEOUT})
    assert r.json()["state"] == "succeeded", r.text
    return job_id


async def test_personal_data_in_any_message_is_masked_before_storing(
    env: Env, mosquitto_url: str, uid: str, caplog: pytest.LogCaptureFixture
) -> None:
    cloud, http = env
    people = make_people(int(uid, 16))
    masked_read = EventBody(kind=EventKind.IDCARD_READ, peripheral="idcard", data=people[0].masked)
    # a driver's health reason that quotes a card, in the birth's peripheral list
    printer = RECEIPT_PRINTER.model_copy(update={"reason": f"卡 {people[2].card.id_number}"})
    async with FakeDevice(mosquitto_url, f"kiosk-{uid}", peripherals=[printer]) as dev:
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", TIMEOUT)
            tags = {"card": people[3].card.id_number}  # and a telemetry tag that does
            metric = Metric(name="reads", value=1.0, ts=wall_ms(), tags=tags)
            await dev.publish(DeviceChannel.TELE, TelemetryBody(metrics=[metric]))
            assert await sub.wait_for(lambda v: v == "tele", TIMEOUT)
        [peripheral] = (await http.get(f"/api/v1/devices/{dev.device_id}")).json()["peripherals"]
        assert peripheral["reason"] == f"卡 {people[2].masked['id_number']}"
        await _send_and_wait(cloud, dev, [*leaky_events(people), masked_read])
        job_id = await _leaky_ack(http, dev, people[1])
        api = await console_api(http, [dev.device_id])
    database = await dump_database(cloud.sessions)
    places = {"logs": log_text(caplog)} | api | {f"table {t}": rows for t, rows in database.items()}
    found = [leak for where, text in places.items() for leak in leaks(people, where, text)]
    assert not found, "raw personal data kept:\n" + "\n".join(found)

    stored = {e["kind"]: e for e in json.loads(api[f"/api/v1/devices/{dev.device_id}"])["events"]}
    _assert_redacted(stored, people)
    assert json.loads(api[f"/api/v1/jobs/{job_id}"])["result"] == {
        "id": people[1].masked["id_number"]
    }
    redacted = cloud.stats.snapshot()["redacted"]
    assert redacted["id_number_18"] == 10 and redacted["id_number_15"] == 1
    assert redacted["name"] == 3
    assert "personal data masked in rating event" in places["logs"]


def _assert_redacted(stored: dict[str, Any], people: list[Person]) -> None:
    a, b, c, d = people
    health = stored["peripheral_health"]
    assert health["reason"] == f"持证人 {a.masked['id_number']} 的回执未打印"
    assert (
        health["data"]["姓名"] == a.masked["name"] and health["data"]["id"] == b.masked["id_number"]
    )
    assert "reason: id_number_18" in health["data"][REDACTED_KEY]
    rejected = stored["message_rejected"]["data"]
    assert rejected["name"] == c.masked["name"] and c.masked["id_number"] in rejected
    assert "data.message: id_number_15" in rejected[REDACTED_KEY]
    rating = stored["rating"]["data"]
    assert (rating["name"], rating["reasons"][1]) == (d.masked["name"], d.masked["id_number"])
    assert "data.case_no: id_number_18" in rating[REDACTED_KEY] and rating["code"] == 2
    assert stored["idcard_read"]["data"] == a.masked  # masked already: stored as sent


@pytest.mark.parametrize("raw_field", ["name", "id_number"])
async def test_an_idcard_read_with_raw_fields_is_rejected_whole(
    env: Env, mosquitto_url: str, uid: str, raw_field: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The ``idcard_read`` model accepts masked fields only (the masked-name and masked-ID
    guards): one raw field and the event is refused, counted, and nothing of it is stored."""
    cloud, http = env
    person = make_people(int(uid, 16), 1)[0]
    data = person.masked | {raw_field: getattr(person.card, raw_field)}
    async with FakeDevice(mosquitto_url, f"kiosk-{uid}") as dev:
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", TIMEOUT)
        env_ = dev.sender.envelope(
            MsgType.EVT,
            EventBody(kind=EventKind.IDCARD_READ, peripheral="idcard", data=person.masked),
        )
        raw = json.loads(env_.model_dump_json())
        raw["body"]["data"] = data
        async with cloud.hub.subscribe("bus:rejected") as rejected:
            await dev.publish_raw(DeviceChannel.EVT, json.dumps(raw, ensure_ascii=False).encode())
            assert await rejected.wait_for(lambda r: r == "invalid", TIMEOUT) == "invalid"
        api = await console_api(http, [dev.device_id])
    events = json.loads(api[f"/api/v1/devices/{dev.device_id}"])["events"]
    assert not [e for e in events if e["kind"] == "idcard_read"]
    database = await dump_database(cloud.sessions)
    places = {"logs": log_text(caplog)} | api | database
    assert cloud.stats.snapshot()["rejected"]["invalid"] == 1
    found = [leak for where, text in places.items() for leak in leaks([person], where, text)]
    assert not found, "raw personal data kept:\n" + "\n".join(found)
