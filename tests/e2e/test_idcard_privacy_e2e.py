"""An ID number never leaves the reader unmasked, end to end.

A kiosk agent with the GA 467 ID-card reader simulator (on a pty) and ``auto_read``, the real
cloud (SQLite, and a fresh PostgreSQL database) and Mosquitto. Fresh fictional people
(``privacy_people``) put their cards on the reader, one read fails with a card on it; every
log record of every logger at DEBUG, whatever reached stdout/stderr, every MQTT message on
``kf/#``, every table and column of the cloud's database, every API answer the console reads,
and every file the agent, the printer and the cloud left (journal, outbox, their WAL files)
are then searched for each raw datum (ID number, name, given name, birth date as YYYYMMDD and
YYYY-MM-DD, address, the legacy 15-digit number) in UTF-8, GBK, UTF-16 and JSON escapes. Only
the masked forms may appear, and they must; no last-line guard may have had to mask anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.idcard import FIND_CARD
from simulators.idcard_reader import IdCardReaderSim
from tests.cloudkit import running_cloud
from tests.e2e.privacy_capture import (
    console_api,
    debug_everywhere,
    dump_database,
    files_under,
    fresh_database,
    log_text,
    mqtt_recording,
)
from tests.e2e.privacy_kiosk import kiosk
from tests.e2e.privacy_people import Person, leaks, make_people

TIMEOUT = 30.0


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    """'' (SQLite in the cloud's data directory) or a fresh PostgreSQL database."""
    yield from fresh_database(request, uid)


async def _finds(reader: IdCardReaderSim, more: int) -> None:
    """Wait until the agent has polled ``more`` further times for a card."""

    def finds() -> int:
        return sum((r.cmd, r.para) == FIND_CARD for r in reader.requests)

    want = finds() + more
    while finds() < want:
        await reader.wait_for_requests(len(reader.requests) + 1, timeout=TIMEOUT)


async def _read_stored(cloud: Parts, http: httpx.AsyncClient, dev: str, person: Person) -> None:
    """Wait until the cloud has stored this card's (masked) ``idcard_read`` event."""
    async with cloud.hub.subscribe(f"device:{dev}") as changes, asyncio.timeout(TIMEOUT):
        while True:
            r = await http.get(f"/api/v1/devices/{dev}", params={"events": 500})
            if r.status_code == 200 and any(
                e["kind"] == "idcard_read" and e["data"] == person.masked
                for e in r.json()["events"]
            ):
                return
            await changes.get()


async def _present_cards(
    cloud: Parts, http: httpx.AsyncClient, dev: str, reader: IdCardReaderSim, people: list[Person]
) -> None:
    """Each person's card in turn; the first one's first reads fail (garbled replies)."""
    for i, person in enumerate(people):
        if i == 0:
            reader.faults.bad_checksum = True
        reader.insert(person.card)
        if i == 0:
            await _finds(reader, 2)  # failed polls with the card on the reader: logged
            reader.faults.bad_checksum = False
        await _read_stored(cloud, http, dev, person)
        reader.remove()
        await _finds(reader, 2)  # the agent saw the reader empty: the next card is news


async def test_no_card_data_leaves_the_reader_unmasked(
    tmp_path: Path,
    uid: str,
    mosquitto_url: str,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    debug_everywhere(caplog)
    people = make_people(int(uid, 16))
    dev = f"kiosk-{uid}"
    settings = Settings(
        data_dir=tmp_path / "cloud", database_url=database_url, mqtt_url=mosquitto_url, demo=True
    )
    async with (
        mqtt_recording(mosquitto_url) as traffic,
        running_cloud(settings) as (cloud, http),
        IdCardReaderSim(cards=[p.card for p in people]) as reader,
    ):
        async with kiosk(mosquitto_url, dev, tmp_path, reader) as agent:
            await _present_cards(cloud, http, dev, reader, people)
            failed_reads = agent.telemetry()
        api = await console_api(http, [dev])  # after the agent's offline state, too
        database = await dump_database(cloud.sessions)
    places: dict[str, str | bytes] = {
        "logs": log_text(caplog),
        "stdout+stderr": "".join(capfd.readouterr()),
    }
    places |= {f"MQTT {topic} #{i}": payload for i, (topic, payload) in enumerate(traffic.seen)}
    places |= {f"GET {url}": text for url, text in api.items()}
    places |= {f"table {name}": rows for name, rows in database.items()}
    files = dict(files_under(tmp_path))
    places |= {f"file {path}": data for path, data in files.items()}
    agent_dir = tmp_path / "agents" / dev  # the journal and the outbox were searched too
    assert {agent_dir / "jobs.sqlite3", agent_dir / "outbox.sqlite3"} <= set(files)
    _assert_masked_only(people, places, failed_reads)


def _assert_masked_only(people: list[Person], places: dict[str, str | bytes], tele: Any) -> None:
    found = [leak for where, data in places.items() for leak in leaks(people, where, data)]
    assert not found, "raw card data found:\n" + "\n".join(found)
    # the search saw the data: every masked form reached the broker, the database and the API
    for person in people:
        for what in ("MQTT kf/v1/dev/", "table device_events", "GET /api/v1/devices/"):
            texts = [_text(d) for w, d in places.items() if w.startswith(what)]
            masked = person.masked["id_number"]
            assert any(masked in t for t in texts), (what, masked)
    assert any(m.name == "peripheral.read_errors" and m.value >= 1 for m in tele.metrics)
    assert "read failed (bad_checksum)" in str(places["logs"])
    # the driver masks by itself: the outbox's and the cloud's last-line guards had nothing to do
    assert "personal data masked" not in str(places["logs"])


def _text(data: str | bytes) -> str:
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else data
