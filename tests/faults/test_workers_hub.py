"""Two cloud processes on one PostgreSQL in a ``$share`` group: a change made through one
worker wakes what waits on the other (``cloud.hub_relay``: LISTEN/NOTIFY).

A job long-poll on worker B returns as soon as the job is canceled through worker A, not at
the end of its wait; the help desk's event stream on B shows an operator going on duty at A.
PostgreSQL only (several workers need it: docs/operations.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.cloudkit import FakeDevice
from tests.faults import procs
from tests.faults.databases import POSTGRES, fresh_postgres
from tests.faults.ledger import receipt
from tests.faults.procs import Mosquitto, tail
from tests.faults.willkit import wait_presence
from tests.faults.workers_kit import start_workers, workers_for

#: the long-poll's own limit: the wake-up must come far sooner
WAIT_S = 30.0
#: half the long-poll's limit: a wake-up, not the wait's end (5 s left two cloud processes
#: and PostgreSQL too little room on a loaded 2-core CI machine)
WOKEN_WITHIN_S = WAIT_S / 2


@pytest.fixture(params=[pytest.param(POSTGRES, marks=pytest.mark.postgres)])
def cloud_db(request: pytest.FixtureRequest, uid: str) -> Iterator[str]:
    """PostgreSQL only (overrides the suite's sqlite/postgres pair)."""
    server = str(request.getfixturevalue("postgres_url"))
    with fresh_postgres(server, f"kf_hub_{uid}") as url:
        yield url


@pytest.fixture(autouse=True)
def slow_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(procs, "START_TIMEOUT_S", 300.0)


@pytest.mark.timeout(900)  # two cold starts on two loaded shared cores
async def test_a_change_through_one_worker_wakes_a_long_poll_on_the_other(
    tmp_path: Path, uid: str, broker: Mosquitto, cloud_db: str
) -> None:
    a, b = workers_for(tmp_path, broker, cloud_db, uid, 2)
    dev = f"kiosk-{uid}"
    with a, b:
        await start_workers([a, b])
        try:
            async with (
                FakeDevice(broker.url, dev) as device,
                httpx.AsyncClient(base_url=a.base_url, headers=a.headers, timeout=60) as via_a,
                httpx.AsyncClient(base_url=b.base_url, headers=b.headers, timeout=60) as via_b,
            ):
                await device.birth()
                await wait_presence(via_a, dev, online=True)
                await device.state(False)  # offline: the job waits queued
                await wait_presence(via_a, dev, online=False)
                body = {"kind": "print_receipt", "target": {"device_id": dev}}
                r = await via_a.post("/api/v1/jobs", json=body | {"params": receipt(uid)})
                assert r.status_code == 201, r.text
                job_id = r.json()["id"]
                poll = asyncio.create_task(
                    via_b.get(f"/api/v1/jobs/{job_id}", params={"wait_s": WAIT_S})
                )
                await asyncio.sleep(1.0)  # the long-poll is waiting at b (no event to await)
                assert not poll.done()
                canceled_at = time.monotonic()
                r = await via_a.post(f"/api/v1/jobs/{job_id}/cancel")
                assert r.status_code in (200, 202), r.text
                answer = await poll
                woken = time.monotonic() - canceled_at
                assert answer.json()["state"] == "canceled", answer.text
                assert woken < WOKEN_WITHIN_S, woken
                await duty_shows_on_the_other_worker(via_a, via_b)
        except AssertionError:
            print(f"a:\n{tail(a.log)}\nb:\n{tail(b.log)}")
            raise


async def duty_shows_on_the_other_worker(
    via_a: httpx.AsyncClient, via_b: httpx.AsyncClient
) -> None:
    """``PUT /help/duty`` at a; b's ``/help/events`` stream says ``duty`` right away."""
    async with via_b.stream("GET", "/api/v1/help/events") as stream:
        assert stream.status_code == 200
        lines = stream.aiter_lines()
        async with asyncio.timeout(WOKEN_WITHIN_S):  # 15 s, as before
            async for line in lines:  # the stream's opening: retry, then the open calls
                if line.startswith("retry:"):
                    break
            r = await via_a.put("/api/v1/help/duty", json={"on_duty": True})
            assert r.status_code == 200, r.text
            async for line in lines:
                if line == "event: duty":
                    return
