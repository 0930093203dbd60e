"""Upload grants: a snapshot/scan job's permission to PUT blobs while it runs (protocol §11)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from cloud.blobs import GrantInvalid, check_grant, make_grant
from cloud.db import sites as site_repo
from cloud.db.models import Device, Job
from cloud.settings import Settings
from cloud.wiring import Parts
from protocols.jobs import AckState, JobState
from protocols.messages import Health, PeripheralInfo
from tests.cloudkit import FakeDevice, running_cloud

SECRET = "grant-test-secret-0123456789abcdef"
DATA = b"\xff\xd8\xff a still"
DIGEST = hashlib.sha256(DATA).hexdigest()
Env = tuple[Parts, httpx.AsyncClient]


def test_grant_names_its_job_until_it_expires() -> None:
    grant = make_grant(SECRET, "job1", 60, now=1000)
    assert check_grant(SECRET, grant, now=1059) == "job1"
    with pytest.raises(GrantInvalid, match="expired 1 s ago"):
        check_grant(SECRET, grant, now=1061)
    with pytest.raises(GrantInvalid, match="expired"):
        check_grant(SECRET, make_grant(SECRET, "job1", 0, now=1000), now=1000)


def test_grant_for_another_job_or_cloud_is_refused() -> None:
    grant = make_grant(SECRET, "job1", 60, now=1000)
    _, expires, mac = grant.split(".")
    with pytest.raises(GrantInvalid, match="not issued"):
        check_grant(SECRET, f"job2.{expires}.{mac}", now=1000)
    with pytest.raises(GrantInvalid, match="not issued"):
        check_grant(SECRET, f"job1.{int(expires) + 600}.{mac}", now=1000)
    with pytest.raises(GrantInvalid, match="not issued"):
        check_grant("another-secret", grant, now=1000)
    with pytest.raises(GrantInvalid, match="malformed"):
        check_grant(SECRET, "job1.soon.x", now=1000)


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, secret_key=SECRET)
    async with running_cloud(settings) as pair:
        yield pair


async def _offline_camera(cloud: Parts, site: str) -> None:
    """A registered, offline device with a camera at ``site`` (site jobs need one to exist)."""
    async with cloud.sessions() as s:
        if await s.get(Device, "cam-offline") is None:
            at = await site_repo.require(s, site)
            camera = {"id": "cam", "kind": "doc_camera", "capabilities": ["snapshot"]}
            s.add(Device(id="cam-offline", site_id=at.id, role="kiosk", peripherals=[camera]))
            await s.commit()


async def _job(cloud: Parts, http: httpx.AsyncClient, state: JobState) -> str:
    """A snapshot job (no device online can take it, so it stays queued), then put in
    ``state``."""
    await _offline_camera(cloud, "qh/hx/golmud/hhl")
    r = await http.post(
        "/api/v1/jobs",
        json={"kind": "snapshot", "target": {"site": "qh/hx/golmud/hhl"}, "params": {}},
    )
    assert r.status_code == 201, r.text
    job_id = str(r.json()["id"])
    async with cloud.sessions() as s:
        await s.execute(update(Job).where(Job.id == job_id).values(state=state.value))
        await s.commit()
    return job_id


async def _put(http: httpx.AsyncClient, grant: str) -> httpx.Response:
    return await http.put(f"/api/v1/blobs/{DIGEST}", params={"grant": grant}, content=DATA)


@pytest.mark.parametrize("state", [JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING])
async def test_a_running_job_uploads_with_its_grant(env: Env, state: JobState) -> None:
    cloud, http = env
    job_id = await _job(cloud, http, state)
    r = await _put(http, make_grant(SECRET, job_id, 60))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    "state", [JobState.QUEUED, JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELED]
)
async def test_a_job_not_running_cannot_upload(env: Env, state: JobState) -> None:
    cloud, http = env
    job_id = await _job(cloud, http, state)
    r = await _put(http, make_grant(SECRET, job_id, 60))
    assert r.status_code == 403
    assert f"job {job_id} is {state.value}" in r.json()["message"]


async def test_expired_forged_or_unknown_grants_are_refused(env: Env) -> None:
    cloud, http = env
    job_id = await _job(cloud, http, JobState.RUNNING)
    expired = make_grant(SECRET, job_id, 60, now=time.time() - 120)
    assert "expired" in (await _put(http, expired)).json()["message"]
    forged = make_grant("not-this-clouds-secret", job_id, 60)
    assert (await _put(http, forged)).status_code == 403
    unknown = "0" * 32  # a well-formed job id no job has
    r = await _put(http, make_grant(SECRET, unknown, 60))
    assert r.status_code == 403
    assert f"job {unknown} is unknown" in r.json()["message"]
    blobs = cloud.settings.data_dir / "blobs"
    assert not blobs.exists() or not any(blobs.rglob("*"))


async def test_success_naming_a_blob_never_uploaded_fails_the_job(
    env: Env, amqtt_url: str, uid: str
) -> None:
    cloud, http = env
    camera = PeripheralInfo(
        id="camera", kind="av_camera", capabilities=["snapshot"], health=Health.OK
    )
    async with FakeDevice(amqtt_url, f"cam-{uid}", peripherals=[camera]) as dev:
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", 5) == "online"
        r = await http.post(
            "/api/v1/jobs",
            json={"kind": "snapshot", "target": {"device_id": dev.device_id}, "params": {}},
        )
        assert r.status_code == 201, r.text
        job_id = r.json()["id"]
        cmd = await dev.next_command()
        uploads = cmd.body.params.model_dump(mode="json")["uploads"]
        assert uploads["base"] == f"{cloud.settings.base_url}/api/v1/blobs"
        assert check_grant(SECRET, uploads["grant"]) == job_id
        await dev.ack(job_id, AckState.RUNNING)
        assert (await _put(http, uploads["grant"])).status_code == 201
        blob = {"sha256": DIGEST, "content_type": "image/jpeg", "bytes": len(DATA), "role": "jpeg"}
        ghost = {**blob, "sha256": "0" * 64}
        await dev.ack(job_id, AckState.SUCCEEDED, result={"blobs": [blob, ghost]})
        job = (await http.get(f"/api/v1/jobs/{job_id}", params={"wait_s": 5})).json()
    assert job["state"] == "failed", job
    assert job["reason"] == "upload_missing"
    assert f"blob {'0' * 64} was never uploaded" in job["message"]
