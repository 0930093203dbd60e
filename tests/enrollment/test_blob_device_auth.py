"""Device credentials on the blob routes: alone they read the documents of the device's own
jobs; with a grant they must be that job's device; a wrong secret is a 401 (tokens and grants
alone keep working as before: tests/cloud/test_upload_grants.py)."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cloud.blobs import make_grant, make_token
from cloud.db import sites as site_repo
from cloud.db.models import Job, utcnow
from cloud.settings import Settings
from tests.enrollment.kit import HHL, SECRET, Cloud, basic, enroll, enrollment_cloud, mint

PDF = b"%PDF-1.4 not really"
PDF_SHA = hashlib.sha256(PDF).hexdigest()
STILL = b"\xff\xd8\xff a still"
STILL_SHA = hashlib.sha256(STILL).hexdigest()


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[Cloud]:
    settings = Settings(data_dir=tmp_path, mqtt_url=mosquitto_url, secret_key=SECRET)
    async with enrollment_cloud(settings) as c:
        yield c


async def _device(cloud: Cloud, device_id: str) -> dict[str, str]:
    r = await enroll(cloud, (await mint(cloud))["token"], device_id)
    assert r.status_code == 200, r.text
    return basic(device_id, r.json()["mqtt"]["password"])


async def _held_job(cloud: Cloud, device_id: str, kind: str, params: dict[str, Any]) -> str:
    """A job dispatched to ``device_id`` (written directly: routing is not under test)."""
    now = utcnow()
    job_id = uuid.uuid4().hex
    async with cloud.parts.sessions() as s:
        site = await site_repo.require(s, HHL)
        s.add(
            Job(
                id=job_id,
                request_hash="x",
                kind=kind,
                capability="a4_print",
                site_id=site.id,
                target_device_id=device_id,
                assigned_device_id=device_id,
                state="dispatched",
                params=params,
                attempts=1,
                max_attempts=3,
                ttl_s=600,
                expires_at=now + timedelta(minutes=10),
            )
        )
        await s.commit()
    return job_id


async def test_a_device_reads_the_document_of_its_own_job_only(cloud: Cloud) -> None:
    a, b = await _device(cloud, "blob-a"), await _device(cloud, "blob-b")
    put = make_token(SECRET, PDF_SHA, "put", 300, time.time())
    r = await cloud.http.put(f"/api/v1/blobs/{PDF_SHA}", params={"token": put}, content=PDF)
    assert r.status_code == 201, r.text
    await _held_job(cloud, "blob-a", "print_document", {"document": PDF_SHA})
    r = await cloud.http.get(f"/api/v1/blobs/{PDF_SHA}", headers=a)
    assert r.status_code == 200 and r.content == PDF
    r = await cloud.http.get(f"/api/v1/blobs/{PDF_SHA}", headers=b)
    assert r.status_code == 403 and "blob-b holds no job" in r.json()["message"]
    bad = basic("blob-a", "not-the-secret")
    r = await cloud.http.get(f"/api/v1/blobs/{PDF_SHA}", headers=bad)
    assert r.status_code == 401 and r.json()["code"] == "bad_device_credentials"
    r = await cloud.http.get(f"/api/v1/blobs/{PDF_SHA}")  # nothing at all: still refused
    assert r.status_code == 403


async def test_a_grant_with_device_credentials_must_be_that_devices_job(cloud: Cloud) -> None:
    a, b = await _device(cloud, "grant-a"), await _device(cloud, "grant-b")
    job_id = await _held_job(cloud, "grant-a", "snapshot", {})
    grant = make_grant(SECRET, job_id, 60, time.time())
    url, params = f"/api/v1/blobs/{STILL_SHA}", {"grant": grant}
    r = await cloud.http.put(url, params=params, content=STILL, headers=b)
    assert r.status_code == 403 and "not assigned to device grant-b" in r.json()["message"]
    r = await cloud.http.put(url, params=params, content=STILL, headers=a)
    assert r.status_code == 201, r.text
