"""``GET /api/v1/jobs/{id}/attachments/{role}``: a job's uploaded blobs for people — the
content type of the role (never the device's word), ETag and 304, subtree scope (404 outside
it, worded like a job that does not exist), a precise 404 for a role the job lacks."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from cloud.db import sites as site_repo
from cloud.db.models import Device, Job
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import PersonRole
from tests.cloudkit import running_cloud
from tests.identity_kit import bearer, make_api_token

HHL, TGLS = "qh/hx/golmud/hhl", "qh/hx/golmud/tgls"
JPEG = b"\xff\xd8\xff\xe0 a scanned page"
PDF = b"%PDF-1.7 one page"
PNG = b"\x89PNG\r\n\x1a\n what the paper showed"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Env:
    cloud: Parts
    admin: httpx.AsyncClient
    scan: str  # a succeeded scan job at HHL with a jpeg and a pdf
    receipt: str  # a succeeded receipt job at TGLS with a proof
    queued: str  # a receipt job at HHL still queued (no result)


async def _device(cloud: Parts, device_id: str, site: str, peripherals: list[Any]) -> None:
    async with cloud.sessions() as s:
        at = await site_repo.require(s, site)
        s.add(Device(id=device_id, site_id=at.id, role="kiosk", peripherals=peripherals))
        await s.commit()


async def _job(http: httpx.AsyncClient, kind: str, device: str, params: dict[str, Any]) -> str:
    r = await http.post(
        "/api/v1/jobs", json={"kind": kind, "target": {"device_id": device}, "params": params}
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _finish(cloud: Parts, job_id: str, blobs: list[tuple[str, bytes]]) -> None:
    """The job succeeded naming ``blobs`` (role, bytes), each stored as its device would."""
    for _, data in blobs:
        await cloud.blobs.put(sha(data), _chunks(data))
    result = {
        "blobs": [
            # a device's content_type is not trusted: the role decides the answer's type
            {"sha256": sha(d), "content_type": "text/html", "bytes": len(d), "role": role}
            for role, d in blobs
        ]
    }
    async with cloud.sessions() as s:
        await s.execute(
            update(Job).where(Job.id == job_id).values(state="succeeded", result=result)
        )
        await s.commit()


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    yield data


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True)
    async with running_cloud(settings) as (cloud, admin):
        camera = {"id": "cam", "kind": "doc_camera", "capabilities": ["scan"]}
        printer = {"id": "rp1", "kind": "receipt_printer", "capabilities": ["receipt"]}
        await _device(cloud, "att-hhl", HHL, [camera, printer])
        await _device(cloud, "att-tgls", TGLS, [printer])
        ticket = {"lines": [{"type": "text", "text": "A001"}]}
        scan = await _job(admin, "scan", "att-hhl", {})
        receipt = await _job(admin, "print_receipt", "att-tgls", ticket)
        queued = await _job(admin, "print_receipt", "att-hhl", ticket)
        await _finish(cloud, scan, [("jpeg", JPEG), ("pdf", PDF)])
        await _finish(cloud, receipt, [("proof", PNG)])
        yield Env(cloud, admin, scan, receipt, queued)


@pytest.mark.parametrize(
    ("job", "role", "data", "media"),
    [
        ("scan", "jpeg", JPEG, "image/jpeg"),
        ("scan", "pdf", PDF, "application/pdf"),
        ("receipt", "proof", PNG, "image/png"),
    ],
)
async def test_each_role_is_served_with_its_type_and_etag(
    env: Env, job: str, role: str, data: bytes, media: str
) -> None:
    job_id = getattr(env, job)
    r = await env.admin.get(f"/api/v1/jobs/{job_id}/attachments/{role}")
    assert r.status_code == 200, r.text
    assert r.content == data
    assert r.headers["content-type"] == media
    assert r.headers["etag"] == f'"{sha(data)}"'
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "no-cache" in r.headers["cache-control"]
    assert r.headers["content-disposition"].startswith("inline")
    again = await env.admin.get(
        f"/api/v1/jobs/{job_id}/attachments/{role}", headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""


async def test_a_role_the_job_lacks_is_a_precise_404(env: Env) -> None:
    r = await env.admin.get(f"/api/v1/jobs/{env.scan}/attachments/proof")
    assert r.status_code == 404
    said = r.json()["message"]
    assert f"job {env.scan} (scan) has no 'proof' attachment" in said
    assert "its attachments: jpeg, pdf" in said
    r = await env.admin.get(f"/api/v1/jobs/{env.queued}/attachments/proof")
    assert r.status_code == 404
    assert "it is queued and has no result yet" in r.json()["message"]
    assert "its attachments: none" in r.json()["message"]


async def test_a_blob_that_is_not_stored_is_a_404_saying_so(env: Env) -> None:
    path = env.cloud.blobs.locate(sha(PNG))
    path.unlink()
    r = await env.admin.get(f"/api/v1/jobs/{env.receipt}/attachments/proof")
    assert r.status_code == 404
    assert f"names blob {sha(PNG)}, which is not stored" in r.json()["message"]


async def test_outside_the_scope_is_the_404_of_a_missing_job(env: Env) -> None:
    hhl_operator = bearer(await make_api_token(env.cloud.sessions, PersonRole.OPERATOR, HHL))

    async def get(job_id: str, role: str) -> httpx.Response:
        url = f"/api/v1/jobs/{job_id}/attachments/{role}"
        return await env.admin.get(url, headers=hhl_operator)

    assert (await get(env.scan, "jpeg")).status_code == 200
    outside = await get(env.receipt, "proof")
    missing = await get("f" * 32, "proof")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["message"].replace(env.receipt, "f" * 32) == missing.json()["message"]


async def test_a_malformed_role_is_refused_before_any_lookup(env: Env) -> None:
    r = await env.admin.get(f"/api/v1/jobs/{env.scan}/attachments/..%2Fetc")
    assert r.status_code in (404, 422)
    r = await env.admin.get(f"/api/v1/jobs/{env.scan}/attachments/JPEG")
    assert r.status_code == 422
