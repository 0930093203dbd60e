"""Snapshot and scan jobs end to end on Mosquitto: REST → cloud → MQTT → agent → camera →
blobs uploaded over HTTP with the job's upload grant → ``succeeded`` naming the blobs."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import cv2
import httpx
import numpy as np

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from kfleet.world.world import KioskSpec


def _world(
    tmp_path: Path, uid: str, broker_url: str, **cloud_settings: object
) -> contextlib.AbstractAsyncContextManager[DemoWorld]:
    """A camera kiosk and a printer-only kiosk, on sites of this test's own."""
    town = SiteSpec(f"c{uid}", "昆仑路街道办事处", SiteLevel.TOWN)
    sites = golmud(town)
    site = f"qh/hx/golmud/c{uid}"
    kiosks = [
        KioskSpec(f"cam-kiosk-{uid}", site, "1号自助终端", full_peripherals=True),
        KioskSpec(f"plain-kiosk-{uid}", site, "2号自助终端"),
    ]
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=broker_url,
        port=0,
        kiosks=kiosks,
        sites=sites,
        cloud_settings=dict(cloud_settings),
    )
    return running_demo(opts)


async def _run_job(world: DemoWorld, body: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=30
    ) as client:
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 201, r.text
        r = await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 25})
        assert r.status_code == 200
        job: dict[str, Any] = r.json()
        return job


async def _fetch(world: DemoWorld, digest: str) -> bytes:
    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=30
    ) as client:
        r = await client.post(f"/api/v1/blobs/{digest}/tokens", json={"op": "get"})
        assert r.status_code == 200, r.text
        r = await client.get(r.json()["url"])
        assert r.status_code == 200, r.text
        assert hashlib.sha256(r.content).hexdigest() == digest
        return r.content


async def test_snapshot_and_scan_upload_their_blobs(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    async with _world(tmp_path, uid, mosquitto_url) as world:
        device = f"cam-kiosk-{uid}"
        job = await _run_job(
            world, {"kind": "snapshot", "target": {"device_id": device}, "params": {}}
        )
        assert job["state"] == "succeeded", job
        assert "uploads" not in job["params"]  # the grant is sent, never stored or shown
        (blob,) = job["result"]["blobs"]
        assert blob["role"] == "jpeg" and blob["content_type"] == "image/jpeg"
        jpeg = await _fetch(world, blob["sha256"])
        assert jpeg[:3] == b"\xff\xd8\xff" and len(jpeg) == blob["bytes"]

        job = await _run_job(
            world,
            {
                "kind": "scan",
                "target": {"site": f"qh/hx/golmud/c{uid}", "capability": "scan"},
                "params": {"mode": "document"},
            },
        )
        assert job["state"] == "succeeded", job
        assert job["device_id"] == device
        assert job["result"]["mode"] == "document"
        blobs = {b["role"]: b for b in job["result"]["blobs"]}
        assert set(blobs) == {"jpeg", "pdf"}
        jpeg = await _fetch(world, blobs["jpeg"]["sha256"])
        page = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
        assert page is not None and page.ndim == 2  # document mode: one grey channel
        assert (await _fetch(world, blobs["pdf"]["sha256"])).startswith(b"%PDF")


async def test_kiosk_without_camera_and_bad_params_are_refused(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    async with (
        _world(tmp_path, uid, mosquitto_url) as world,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "snapshot",
                "target": {"device_id": f"plain-kiosk-{uid}"},
                "params": {},
            },
        )
        assert r.status_code == 409, r.text
        assert "capability snapshot" in r.json()["message"]
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "scan",
                "target": {"device_id": f"cam-kiosk-{uid}"},
                "params": {"format": "tiff"},
            },
        )
        assert r.status_code == 422, r.text
        assert r.json()["errors"][0]["loc"] == ["body", "params", "format"]
        r = await client.post(
            "/api/v1/jobs",
            json={
                "kind": "snapshot",
                "target": {"device_id": f"cam-kiosk-{uid}"},
                "params": {"uploads": {"base": "http://x", "grant": "g", "expires": 1}},
            },
        )
        assert r.status_code == 422, r.text
        assert "params.uploads" in r.json()["message"]


async def test_refused_upload_fails_the_job(tmp_path: Path, uid: str, mosquitto_url: str) -> None:
    async with _world(tmp_path, uid, mosquitto_url, upload_grant_ttl_s=0) as world:
        job = await _run_job(
            world,
            {
                "kind": "snapshot",
                "target": {"device_id": f"cam-kiosk-{uid}"},
                "params": {},
                "max_attempts": 1,
            },
        )
        assert job["state"] == "failed", job
        assert job["reason"] == "upload_failed"
        assert "403" in job["message"] and "expired" in job["message"]
