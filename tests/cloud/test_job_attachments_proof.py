"""A receipt's proof end to end, on real parts (Mosquitto, the cloud over HTTP, a kiosk agent,
the ESC/POS printer simulator): after the paper is out the agent draws exactly the bytes it
printed and uploads the PNG under the job's grant; the attachments API serves it. When the
upload cannot happen — the cloud refuses it or cannot be reached — the job is still
``succeeded``, says ``proof_error``, and the receipt was printed once."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from edge_agent.jobs.receipt_proof import png_size, render_proof
from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, queue_ticket, running_demo
from kfleet.world.net import free_port
from kfleet.world.world import KioskSpec
from protocols.escpos.layout import PAPER_80MM
from tests.cloudkit import FakeDevice, running_cloud
from tests.e2e.printed import receipts_naming


def _world(
    tmp_path: Path, uid: str, broker_url: str, **cloud_settings: object
) -> contextlib.AbstractAsyncContextManager[DemoWorld]:
    site = SiteSpec(f"p{uid}", f"小票凭证测试街道{uid}", SiteLevel.TOWN)
    opts = DemoOptions(
        data_dir=tmp_path,
        broker_url=broker_url,
        port=0,
        kiosks=[KioskSpec(f"proof-kiosk-{uid}", f"qh/hx/golmud/p{uid}", "凭证测试 1号自助终端")],
        sites=golmud(site),
        cloud_settings=dict(cloud_settings),
    )
    return running_demo(opts)


async def _print(world: DemoWorld, uid: str, number: str) -> dict[str, Any]:
    async with httpx.AsyncClient(
        base_url=world.base_url, headers=world.headers, timeout=40
    ) as client:
        body = {
            "kind": "print_receipt",
            "target": {"device_id": f"proof-kiosk-{uid}"},
            "params": queue_ticket("小票凭证测试", number),
        }
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 201, r.text
        r = await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 30})
        job: dict[str, Any] = r.json()
        return job


async def test_the_proof_is_the_png_of_the_bytes_printed(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    async with _world(tmp_path, uid, mosquitto_url) as world:
        job = await _print(world, uid, "P001")
        assert job["state"] == "succeeded", job
        assert "uploads" not in job["params"]  # the grant is sent, never stored or shown
        proof = job["result"]["proof"]
        assert "proof_error" not in job["result"]
        async with httpx.AsyncClient(
            base_url=world.base_url, headers=world.headers, timeout=30
        ) as client:
            r = await client.get(f"/api/v1/jobs/{job['id']}/attachments/proof")
        assert r.status_code == 200 and r.headers["content-type"] == "image/png"
        png = r.content
        assert hashlib.sha256(png).hexdigest() == proof["sha256"] and len(png) == proof["bytes"]
        assert png_size(png) == (proof["width"], proof["height"]) and proof["width"] == PAPER_80MM
        assert proof["height"] > 200  # a queue ticket with a QR code, not an empty strip
        out = world.receipts_dir(f"proof-kiosk-{uid}")
        [printed] = sorted(out.glob("*.bin"))  # what the printer received, as it received it
        assert png == render_proof(printed.read_bytes())


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("unreachable", "upload of the proof to http://127.0.0.1:"),
        ("refused", "the cloud refused the proof upload (HTTP 413)"),
    ],
)
async def test_a_proof_that_cannot_be_uploaded_leaves_the_print_alone(
    tmp_path: Path, uid: str, mosquitto_url: str, setting: str, said: str
) -> None:
    settings: dict[str, object] = (
        {"public_url": f"http://127.0.0.1:{free_port()}"}  # nothing listens there
        if setting == "unreachable"
        else {"blob_max_bytes": 64}  # smaller than any PNG
    )
    async with _world(tmp_path, uid, mosquitto_url, **settings) as world:
        job = await _print(world, uid, "P404")
        assert job["state"] == "succeeded", job
        assert job["attempts"] == 1
        result = job["result"]
        assert "proof" not in result and "blobs" not in result
        assert result["proof_error"].startswith("the receipt was printed, but its proof was not")
        assert said in result["proof_error"]
        assert "could not be drawn" not in result["proof_error"]  # the upload, not the renderer
        assert len(receipts_naming(world.receipts_dir(f"proof-kiosk-{uid}"), "P404")) == 1
        async with httpx.AsyncClient(
            base_url=world.base_url, headers=world.headers, timeout=30
        ) as client:
            r = await client.get(f"/api/v1/jobs/{job['id']}/attachments/proof")
        assert r.status_code == 404
        assert "the device said: the receipt was printed" in r.json()["message"]


@pytest.mark.parametrize("proof", [True, False])
async def test_receipt_jobs_carry_a_grant_unless_turned_off(
    tmp_path: Path, amqtt_url: str, uid: str, proof: bool
) -> None:
    """``receipt_proof`` off: agents older than the cloud refuse ``params.uploads``."""
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True, receipt_proof=proof)
    async with (
        running_cloud(settings) as (cloud, http),
        FakeDevice(amqtt_url, f"grant-{uid}") as dev,
    ):
        async with cloud.hub.subscribe(f"device:{dev.device_id}") as sub:
            await dev.birth()
            assert await sub.wait_for(lambda v: v == "online", 5) == "online"
        ticket = queue_ticket("授权测试", "G1")
        body = {"kind": "print_receipt", "target": {"device_id": dev.device_id}, "params": ticket}
        forged = {"base": "http://elsewhere", "grant": "g", "expires": 1}
        refused = await http.post(
            "/api/v1/jobs", json={**body, "params": {**ticket, "uploads": forged}}
        )
        assert refused.status_code == 422, refused.text  # only the cloud sets it
        assert "params.uploads of a print_receipt job is filled in by the cloud" in refused.text
        assert (await http.post("/api/v1/jobs", json=body)).status_code == 201
        run = (await dev.next_command(10)).body
        assert run.kind == "print_receipt"
        uploads = run.params.uploads
        assert (uploads is not None) is proof
        if uploads is not None:
            assert uploads.grant.startswith(f"{run.job_id}.")
