"""A4 jobs end to end on Mosquitto: a PDF uploaded as a blob is printed on the real CUPS
ippeveprinter by ``print_document``; ``copy`` scans on the document camera, marks the page
"仅供…使用 · time · terminal" and prints it; bad requests are refused with a sentence; a
document that does not hash to its name fails before anything is printed.

The printer is shared by the whole session, so what it received is counted PER JOB (a tag in
the job-name, see tests/e2e/printed.py), and the copy's mark is read back from the pixels of
the document the printer received."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from edge_agent.fonts import find_cjk_font
from fleet.sites import SiteLevel, SiteSpec, golmud
from kfleet.world.demo import DemoOptions, DemoWorld, running_demo
from kfleet.world.world import KioskSpec
from simulators.ippeveprinter import IppServer
from tests.conftest import require_or_skip

from ..agent.test_a4_ipp_driver import _pdf
from .printed import ipp_documents_tagged, ipp_job_id, pdf_jpeg
from .watermark_check import band_score, decode, diagonal_score


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


def _font() -> Path:
    font = find_cjk_font()
    if font is None:
        require_or_skip("a CJK font for the copy's watermark (apt-get install fonts-wqy-microhei)")
    return font


async def _print_document(
    client: httpx.AsyncClient, uid: str, device: str, ipp_printer: IppServer
) -> None:
    """A site-targeted ``print_document``: exactly one document for it at the printer, the
    uploaded PDF byte for byte, under the printer job id the ack names."""
    tag = f"d{uid}"  # in the title, which the agent sends as the IPP job-name
    pdf = _pdf(f"certificate {uid}")
    digest = await _upload(client, pdf)
    job = await _run(
        client,
        {
            "kind": "print_document",
            "target": {"site": f"qh/hx/golmud/a{uid}", "capability": "a4_print"},
            "params": {"document": digest, "title": f"居住证明 {tag}", "copies": 1},
        },
    )
    assert job["state"] == "succeeded", job
    assert job["device_id"] == device
    assert job["result"]["document_sha256"] == digest
    assert "fetch" not in job["params"]  # the read token is sent, never stored or shown
    [printed] = ipp_documents_tagged(ipp_printer, tag)  # one job, one document: not two
    assert printed.read_bytes() == pdf
    assert printed.name.startswith(f"{ipp_job_id(job['result']['printer_job'])}-")


async def _copy(client: httpx.AsyncClient, uid: str, device: str, ipp_printer: IppServer) -> None:
    """A ``copy``: exactly one document for it at the printer, and on ITS pixels the mark
    names this purpose, the time and the terminal, in the band and across the page."""
    tag = f"c{uid}"  # in the purpose: the agent sends "copy <purpose>" as the job-name
    purpose = f"办理户籍业务 {tag}"
    before = datetime.now().astimezone()
    job = await _run(
        client,
        {
            "kind": "copy",
            "target": {"device_id": device},
            "params": {"purpose": purpose, "copies": 2},
        },
    )
    stamps = {t.strftime("%Y-%m-%d %H:%M") for t in (before, datetime.now().astimezone())}
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert result["watermark"] in {f"仅供{purpose}使用 · {s} · {device}" for s in stamps}
    assert result["mode"] == "document" and result["copies"] == 2
    [printed] = ipp_documents_tagged(ipp_printer, tag)  # 2 copies of one job: one document
    data = printed.read_bytes()
    assert hashlib.sha256(data).hexdigest() == result["document_sha256"]
    assert printed.name.startswith(f"{ipp_job_id(result['printer_job'])}-")
    # the print audit's record: the printed page's hash, and the page itself uploaded
    assert "page_error" not in result and result["page"]["sha256"] == result["document_sha256"]
    kept = await client.get(f"/api/v1/jobs/{job['id']}/attachments/pdf")
    assert kept.status_code == 200 and kept.content == data
    page, font = decode(pdf_jpeg(data)), _font()
    assert page.shape == (result["height"], result["width"])
    # against the same mark for another purpose: the pixels say THIS purpose
    wrong = result["watermark"].replace("户籍", "出入境")
    band = band_score(page, result["watermark"], font), band_score(page, wrong, font)
    assert band[0] > 0.85 and band[0] - band[1] > 0.3, band
    across = diagonal_score(page, "仅供办理户籍业务", font)
    across_wrong = diagonal_score(page, "仅供办理出入境业务", font)
    assert across > 0.65 and across - across_wrong > 0.2, (across, across_wrong)


async def test_print_document_and_copy_on_a_real_ipp_printer(
    tmp_path: Path, uid: str, mosquitto_url: str, ipp_printer: IppServer
) -> None:
    device = f"a4-kiosk-{uid}"
    async with (
        _world(tmp_path, uid, mosquitto_url, ipp_printer.uri) as world,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        r = await client.get(f"/api/v1/devices/{device}")
        caps = {c for p in r.json()["peripherals"] for c in p["capabilities"]}
        assert {"a4_print", "copy", "scan"} <= caps  # copy: an A4 printer beside a scanner
        await _print_document(client, uid, device, ipp_printer)
        await _copy(client, uid, device, ipp_printer)


async def test_a4_requests_that_cannot_print_are_refused(
    tmp_path: Path, uid: str, mosquitto_url: str
) -> None:
    device = f"a4-kiosk-{uid}"
    async with (
        _world(tmp_path, uid, mosquitto_url, None) as world,
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
    ):
        missing = hashlib.sha256(b"never uploaded").hexdigest()
        body: dict[str, Any] = {
            "kind": "print_document",
            "target": {"device_id": device},
            "params": {"document": missing},
        }
        r = await client.post("/api/v1/jobs", json=body)
        # the named blob does not exist: 404, as for a target device that does not
        assert r.status_code == 404 and "upload the PDF first" in r.json()["message"], r.text

        not_pdf = await _upload(client, b"GIF89a not a pdf")
        body["params"] = {"document": not_pdf}
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 422 and "not a PDF" in r.json()["message"], r.text

        sound = _pdf(f"cut {uid}")  # a truncated upload: refused here, not at the kiosk
        body["params"] = {"document": await _upload(client, sound[: len(sound) // 2])}
        r = await client.post("/api/v1/jobs", json=body)
        assert r.status_code == 422 and "truncated" in r.json()["message"], r.text

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
        httpx.AsyncClient(base_url=world.base_url, headers=world.headers, timeout=30) as client,
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
        # a sound PDF, but not the blob the job names (the cloud checks the frame, the agent
        # the digest)
        blob_file.write_bytes(_pdf(f"swapped on disk {uid}"))
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
