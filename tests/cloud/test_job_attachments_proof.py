"""A receipt's proof end to end, on real parts (Mosquitto, the cloud over HTTP, a kiosk agent,
the ESC/POS printer simulator): after the paper is out the agent keeps exactly the bytes it
printed in the job's result; the attachments API draws them the first time they are asked
for and keeps the PNG. A cloud whose blob URL is unreachable or whose store is too small
still shows the proof, and the receipt was printed once."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from cloud.settings import Settings
from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, queue_ticket, running_demo
from kfleet.world.net import free_port
from kfleet.world.world import KioskSpec
from protocols.escpos.layout import PAPER_80MM
from protocols.escpos.proof import png_size, render_proof
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
        assert "proof_error" not in job["result"] and "blobs" not in job["result"]
        url = f"/api/v1/jobs/{job['id']}/attachments/proof"
        async with httpx.AsyncClient(
            base_url=world.base_url, headers=world.headers, timeout=30
        ) as client:
            r = await client.get(url)
            assert r.status_code == 200 and r.headers["content-type"] == "image/png"
            png = r.content
            etag = r.headers["etag"]
            again = await client.get(url, headers={"if-none-match": etag})
        kept = [p.read_text() for p in tmp_path.rglob("receipt-proofs/*")]  # noqa: ASYNC240
        assert etag == f'"{hashlib.sha256(png).hexdigest()}"'
        assert again.status_code == 304  # the second view: the PNG the first one kept
        assert kept == [hashlib.sha256(png).hexdigest()]
        assert png_size(png)[0] == PAPER_80MM and png_size(png)[1] > 200  # a ticket with a QR
        out = world.receipts_dir(f"proof-kiosk-{uid}")
        [printed] = sorted(out.glob("*.bin"))  # what the printer received, as it received it
        assert png == render_proof(printed.read_bytes())  # (the .bin also holds status asks)
        assert (proof["escpos_bytes"], proof["paper_dots"]) == (job["result"]["bytes"], 576)


@pytest.mark.parametrize("setting", ["unreachable", "small store"])
async def test_a_cloud_that_cannot_take_blobs_still_shows_the_proof(
    tmp_path: Path, uid: str, mosquitto_url: str, setting: str
) -> None:
    settings: dict[str, object] = (
        {"public_url": f"http://127.0.0.1:{free_port()}"}  # nothing listens there
        if setting == "unreachable"
        else {"blob_max_bytes": 64}  # smaller than any PNG: drawn, shown, not kept
    )
    async with _world(tmp_path, uid, mosquitto_url, **settings) as world:
        job = await _print(world, uid, "P404")
        assert job["state"] == "succeeded", job
        assert job["attempts"] == 1
        assert "proof_error" not in job["result"], job["result"]
        assert len(receipts_naming(world.receipts_dir(f"proof-kiosk-{uid}"), "P404")) == 1
        async with httpx.AsyncClient(
            base_url=world.base_url, headers=world.headers, timeout=30
        ) as client:
            r = await client.get(f"/api/v1/jobs/{job['id']}/attachments/proof")
        assert r.status_code == 200, r.text
        assert png_size(r.content)[0] == PAPER_80MM
        assert r.headers["etag"] == f'"{hashlib.sha256(r.content).hexdigest()}"'
        assert r.headers["content-disposition"].startswith("inline; filename=")


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
