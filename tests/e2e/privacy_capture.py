"""Everything a privacy test searches: MQTT traffic, logs at DEBUG, the cloud's database
(every table, every column), the API the console reads, and files on disk."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import httpx
import pytest
from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from protocols.mqtt_url import parse_mqtt_url
from tests.faults.databases import fresh_postgres


class Recording:
    """MQTT messages (topic, payload) in arrival order; :meth:`wait_for` one that matches."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []
        self._changed = asyncio.Event()

    def add(self, topic: str, payload: bytes) -> None:
        self.seen.append((topic, payload))
        self._changed.set()

    async def wait_for(self, accept: Callable[[str, bytes], bool], within_s: float) -> bytes:
        async with asyncio.timeout(within_s):
            while True:
                self._changed.clear()
                for topic, payload in self.seen:
                    if accept(topic, payload):
                        return payload
                await self._changed.wait()


@contextlib.asynccontextmanager
async def mqtt_recording(url: str) -> AsyncIterator[Recording]:
    """Every message on ``kf/#`` while the block runs, as it arrives."""
    ep = parse_mqtt_url(url)
    recording = Recording()
    ident = f"privacy-rec-{uuid.uuid4().hex[:8]}"
    async with aiomqtt.Client(ep.host, ep.port, identifier=ident) as client:
        await client.subscribe("kf/#", qos=1)

        async def pump() -> None:
            async for msg in client.messages:
                payload = msg.payload if isinstance(msg.payload, bytes) else b""
                recording.add(msg.topic.value, payload)

        task = asyncio.create_task(pump())
        try:
            yield recording
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


def debug_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    """Capture every logger at DEBUG, also those that set a level of their own."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)


def log_text(caplog: pytest.LogCaptureFixture) -> str:
    """Every captured record: its message, its arguments' reprs and any traceback."""
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(repr(record.args))
        parts.append(record.exc_text or "")
    return "\n".join(parts)


def _cell(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


async def dump_database(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str]:
    """Every table of the cloud's database as text: one line per row, every column."""
    meta = MetaData()
    async with sessions() as s:
        conn = await s.connection()
        await conn.run_sync(meta.reflect)
        tables = {}
        for table in meta.sorted_tables:
            rows = (await s.execute(select(table))).all()
            tables[table.name] = "\n".join("\t".join(map(_cell, row)) for row in rows)
    return tables


async def console_api(client: httpx.AsyncClient, device_ids: list[str]) -> dict[str, str]:
    """Each API answer the console fetches: devices (with peripherals and events), jobs and
    their events, sites, bus statistics; keyed by URL, as the text that was sent."""
    urls = ["/api/v1/devices", "/api/v1/jobs", "/api/v1/sites", "/api/v1/stats/bus", "/healthz"]
    urls += [f"/api/v1/devices/{d}" for d in device_ids]
    answers = {}
    for url in urls:
        r = await client.get(url)
        assert r.status_code == 200, (url, r.text)
        answers[url] = r.text
    for job in json.loads(answers["/api/v1/jobs"])["items"]:
        for url in (f"/api/v1/jobs/{job['id']}", f"/api/v1/jobs/{job['id']}/events"):
            answers[url] = (await client.get(url)).text
    return answers


def files_under(root: Path) -> Iterator[tuple[Path, bytes]]:
    """Every regular file below ``root`` (databases, their WAL and journals, ...)."""
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes()


def fresh_database(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    """For a fixture parametrized ``sqlite``/``postgres``: '' (SQLite in the cloud's data
    directory) or a fresh database on the real PostgreSQL server, dropped afterwards."""
    if request.param == "sqlite":
        yield ""
        return
    with fresh_postgres(request.getfixturevalue("postgres_url"), f"kf_privacy_{uid}") as url:
        yield url
