"""A4 jobs end to end on Mosquitto: a PDF uploaded as a blob is printed on the real CUPS
ippeveprinter by ``print_document``; ``copy`` scans on the document camera, marks the page
"仅供…使用 · time · terminal" and prints it; bad requests are refused with a sentence; a
document that does not hash to its name fails before anything is printed."""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

import httpx

from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from kfleet.world.world import KioskSpec
from simulators.ippeveprinter import IppServer

from ..agent.test_a4_ipp_driver import _pdf


def _world(
    tmp_path: Path, uid: str, broker_url: str, ipp_uri: str | None
) -> contextlib.AbstractAsyncContextManager[DemoWorld]:
    """A full kiosk (A4 on ``ipp_uri``, or a spool) and a receipt-only kiosk."""
    town = SiteSpec(f"a{uid}", "河西街道办事处", SiteLevel.TOWN)
    sites = golmud(town)
    site = f"qh/hx/golmud/a{uid}"
    kiosks = [
        KioskSpec(
            f"a4-kiosk-{uid}", site, "1号自助终端", full_peripherals=True, a4_printer_uri=ipp_uri
        ),
        KioskSpec(f"plain-kiosk-{uid}", site, "2号自助终端"),
    ]
    opts = DemoOptions(data_dir=tmp_path, broker_url=broker_url, port=0, kiosks=kiosks, sites=sites)
    return running_demo(opts)


async def _upload(client: httpx.AsyncClient, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    r = await client.post(f"/api/v1/blobs/{digest}/tokens", json={"op": "put"})
    assert r.status_code == 200, r.text
    r = await client.put(r.json()["url"], content=data)
    assert r.status_code in (200, 201), r.text
    return digest


async def _run(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    r = await client.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    r = await client.get(f"/api/v1/jobs/{r.json()['id']}", params={"wait_s": 25})
    assert r.status_code == 200
    job: dict[str, Any] = r.json()
    return job


def _printed(server: IppServer) -> set[str]:
    return {hashlib.sha256(p.read_bytes()).hexdigest() for p in server.documents()}


async def test_print_document_and_copy_on_a_real_ipp_printer(
    tmp_path: Path, uid: str, mosquitto_url: str, ipp_printer: IppServer
) -> None:
    device = f"a4-kiosk-{uid}"
    async with (
        _world(tmp_path, uid, mosquitto_url, ipp_printer.uri) as world,
        httpx.AsyncClient(base_url=world.base_url, timeout=30) as client,
    ):
        r = await client.get(f"/api/v1/devices/{device}")
        caps = {c for p in r.json()["peripherals"] for c in p["capabilities"]}
        assert {"a4_print", "copy", "scan"} <= caps  # copy: an A4 printer beside a scanner

        pdf = _pdf(f"certificate {uid}")
        digest = await _upload(client, pdf)
        job = await _run(
            client,
            {
                "kind": "print_document",
                "target": {"site": f"qh/hx/golmud/a{uid}", "capability": "a4_print"},
                "params": {"document": digest, "title": "居住证明", "copies": 1},
            },
        )
        assert job["state"] == "succeeded", job
        assert job["device_id"] == device
        assert job["result"]["document_sha256"] == digest
        assert "fetch" not in job["params"]  # the read token is sent, never stored or shown
        assert digest in _printed(ipp_printer)

        job = await _run(
            client,
            {
                "kind": "copy",
                "target": {"device_id": device},
                "params": {"purpose": "办理户籍业务", "copies": 2},
            },
        )
        assert job["state"] == "succeeded", job
        result = job["result"]
        assert result["watermark"].startswith("仅供办理户籍业务使用 · ")
        assert result["watermark"].endswith(f" · {device}")
        assert result["mode"] == "document" and result["copies"] == 2
        assert result["document_sha256"] in _printed(ipp_printer)


async def test_a4_requests_that_cannot_print_are_refused(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    device = f"a4-kiosk-{uid}"
    async with (
        _world(tmp_path, uid, mosquitto_url, None) as world,
        httpx.AsyncClient(base_url=world.base_url, timeout=30) as client,
    ):
        missing = hashlib.sha256(b"never uploaded").hexdigest()
        body: dict[str, Any] = {
            "kind": "print_document",
            "target": {"device_id": device},
            "params": {"document": missing},
        }
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 422 and "upload the PDF first" in r.json()["message"], r.text

        not_pdf = await _upload(client, b"GIF89a not a pdf")
        body["params"] = {"document": not_pdf}
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 422 and "not a PDF" in r.json()["message"], r.text

        pdf = await _upload(client, _pdf(f"refused {uid}"))
        body["params"] = {"document": pdf, "fetch": {"url": "http://x/", "expires": 1}}
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 422 and "params.fetch" in r.json()["message"], r.text

        body["params"] = {"document": pdf}
        body["target"] = {"device_id": f"plain-kiosk-{uid}"}
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 409 and "capability a4_print" in r.json()["message"], r.text

        r = await client.post(
            "/api/v1/jobs",
            json={"kind": "copy", "target": {"device_id": device}, "params": {"purpose": ""}},
        )
        assert r.status_code == 422
        assert r.json()["errors"][0]["loc"] == ["body", "params", "purpose"]


async def test_spool_printer_and_a_damaged_document(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    device = f"a4-kiosk-{uid}"
    async with (
        _world(tmp_path, uid, mosquitto_url, None) as world,
        httpx.AsyncClient(base_url=world.base_url, timeout=30) as client,
    ):
        pdf = _pdf(f"spooled {uid}")
        digest = await _upload(client, pdf)
        target = {"device_id": device}
        job = await _run(
            client, {"kind": "print_document", "target": target, "params": {"document": digest}}
        )
        assert job["state"] == "succeeded", job
        (spooled,) = world.a4_dir(device).glob("*.pdf")
        assert spooled.read_bytes() == pdf

        other = await _upload(client, _pdf(f"damaged {uid}"))
        blob_file = tmp_path / "blobs" / other[:2] / other[2:4] / other
        blob_file.write_bytes(b"%PDF-1.4 damaged on disk")  # not the blob the job names
        job = await _run(
            client,
            {
                "kind": "print_document",
                "target": target,
                "params": {"document": other},
                "max_attempts": 1,
            },
        )
        assert job["state"] == "failed", job
        assert job["reason"] in ("download_failed", "retries_exhausted"), job
        assert "nothing was printed" in job["message"], job
        assert len(list(world.a4_dir(device).glob("*.pdf"))) == 1  # nothing more printed
