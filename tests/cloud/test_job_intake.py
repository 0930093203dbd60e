"""Back-pressure at the job API (issue 17): beyond its limits the cloud answers 429 with
Retry-After and stores nothing, and takes requests again as soon as it is below them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.jobs import AckState
from tests.cloud.test_attempts_and_cancel import register
from tests.cloudkit import FakeDevice, running_cloud

Env = tuple[Parts, httpx.AsyncClient]


def receipt_job(device_id: str, key: str | None = None) -> dict[str, Any]:
    job: dict[str, Any] = {
        "kind": "print_receipt",
        "target": {"device_id": device_id},
        "params": {"lines": [{"type": "text", "text": "取号 A001"}]},
    }
    if key:
        job["idempotency_key"] = key
    return job


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=amqtt_url,
        demo=True,
        job_intake_max_in_flight=1,
        job_intake_max_backlog=3,
        job_intake_retry_after_s=2,
        job_wait_max_waiters=1,
    )
    async with running_cloud(settings) as pair:
        yield pair


def assert_too_busy(r: httpx.Response, words: str) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["retry-after"] == "2"
    body = r.json()
    assert body["code"] == "too_busy"
    assert words in body["message"] and "nothing was stored" in body["message"]


async def total_jobs(http: httpx.AsyncClient) -> int:
    r = await http.get("/api/v1/jobs")
    assert r.status_code == 200
    return int(r.json()["total"])


async def test_submissions_beyond_the_limit_are_refused_and_nothing_is_stored(
    env: Env, amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        with cloud.jobs.intake.submission():  # one submission in progress: the limit
            r = await http.post("/api/v1/jobs", json=receipt_job(dev.device_id, f"key-{uid}"))
            assert_too_busy(r, "already handling 1 job submissions")
        assert await total_jobs(http) == 0
        assert cloud.jobs.intake.refused == 1
        assert cloud.jobs.intake.in_flight == 0
        # the same request again, now below the limit: stored once, under its key
        r = await http.post("/api/v1/jobs", json=receipt_job(dev.device_id, f"key-{uid}"))
        assert r.status_code == 201, r.text
        assert cloud.jobs.intake.in_flight == 0, "the admission was released"
        assert await total_jobs(http) == 1


async def test_a_backlog_of_device_messages_refuses_new_jobs(
    env: Env, amqtt_url: str, uid: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        monkeypatch.setattr(cloud.bus, "queue_depth", lambda: 4)  # one beyond the limit of 3
        r = await http.post("/api/v1/jobs", json=receipt_job(dev.device_id))
        assert_too_busy(r, "4 device messages")
        monkeypatch.setattr(cloud.bus, "queue_depth", lambda: 3)  # at the limit: taken
        r = await http.post("/api/v1/jobs", json=receipt_job(dev.device_id))
        assert r.status_code == 201, r.text
        assert await total_jobs(http) == 1


async def test_long_polls_beyond_the_limit_are_refused_plain_reads_never(
    env: Env, amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    async with FakeDevice(amqtt_url, f"k-{uid}") as dev:
        await register(cloud, dev)
        job = (await http.post("/api/v1/jobs", json=receipt_job(dev.device_id))).json()
        await dev.next_command()
        url = f"/api/v1/jobs/{job['id']}"
        async with cloud.hub.subscribe(f"job:{job['id']}") as sub:
            with cloud.jobs.intake.wait():  # one long-poll open: the limit
                assert_too_busy(await http.get(url, params={"wait_s": 5}), "1 long-polls")
                plain = await http.get(url)
                assert (plain.status_code, plain.json()["state"]) == (200, "dispatched")
            await dev.ack(job["id"], AckState.SUCCEEDED)
            assert await sub.wait_for(lambda s: s == "succeeded", 5) == "succeeded"
        r = await http.get(url, params={"wait_s": 5})
        assert (r.status_code, r.json()["state"]) == (200, "succeeded")
        assert cloud.jobs.intake.waiters == 0
