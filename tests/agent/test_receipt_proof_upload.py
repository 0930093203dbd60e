"""A receipt job's handler on a 58 mm printer, against a real cloud over HTTP (uvicorn): the
bytes it keeps in the result are drawn by the cloud 384 dots wide with the ticket centred on
that paper; and the PNG an older agent uploaded under the job's grant is still served."""

from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path
from typing import Any, cast

import httpx
import numpy as np
from PIL import Image
from sqlalchemy import update

from cloud import blobs as blob_store
from cloud.db import sites as site_repo
from cloud.db.models import Device, Job
from edge_agent.config import EscposNetwork
from edge_agent.drivers import build_printer
from edge_agent.drivers.escpos_render import render_receipt
from edge_agent.jobs.blob_transfer import upload_blobs
from edge_agent.jobs.kinds import JobContext, camera_locks, run_receipt
from kfleet.world.demo import queue_ticket
from protocols.escpos.layout import PAPER_58MM, PAPER_80MM
from protocols.escpos.proof import png_size, render_proof
from protocols.jobs import AckState, ReceiptParams, Uploads
from simulators.escpos_printer import EscPosPrinterSim
from tests.browser.people_served import Served, served_cloud
from tests.identity_kit import bearer, make_api_token

_QUEUE = queue_ticket("窄纸", "N58")
#: a line of 19 Chinese characters (456 dots): one line on 80 mm paper, two on 58 mm
LONG = {"type": "text", "text": "请携带身份证原件到二号窗口办理业务谢谢"}
TICKET: dict[str, Any] = {**_QUEUE, "lines": [*cast(list[Any], _QUEUE["lines"]), LONG]}


async def _running_receipt_job(served: Served, http: httpx.AsyncClient) -> str:
    """A print_receipt job of a kiosk at HHL, put in ``running`` (as if its device had it)."""
    async with served.sessions() as s:
        at = await site_repo.require(s, "qh/hx/golmud/hhl")
        printer = {"id": "rp", "kind": "receipt_printer", "capabilities": ["receipt"]}
        s.add(Device(id="narrow-kiosk", site_id=at.id, role="kiosk", peripherals=[printer]))
        await s.commit()
    body = {
        "kind": "print_receipt",
        "target": {"device_id": "narrow-kiosk"},
        "params": queue_ticket("窄纸", "N58"),
    }
    r = await http.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    job_id = str(r.json()["id"])
    async with served.sessions() as s:
        await s.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(state="running", assigned_device_id="narrow-kiosk")
        )
        await s.commit()
    return job_id


def _ink_columns(png: bytes) -> tuple[int, int]:
    """First and last column with ink (black dots) in the PNG."""
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("L"))
    columns = np.flatnonzero((pixels == 0).any(axis=0))
    return int(columns[0]), int(columns[-1])


async def _finish(served: Served, job_id: str, result: dict[str, Any]) -> None:
    """The job succeeded with ``result`` (as its device's final ack would say)."""
    async with served.sessions() as s:
        await s.execute(
            update(Job).where(Job.id == job_id).values(state="succeeded", result=result)
        )
        await s.commit()


async def test_a_58mm_receipt_proof_is_drawn_by_the_cloud(tmp_path: Path) -> None:
    async with (
        served_cloud(tmp_path / "cloud") as served,
        EscPosPrinterSim(out_dir=tmp_path / "paper") as sim,
    ):
        token = await make_api_token(served.sessions)
        async with httpx.AsyncClient(
            base_url=served.base_url, headers=bearer(token), timeout=30
        ) as http:
            job_id = await _running_receipt_job(served, http)
            params = ReceiptParams.model_validate(TICKET)  # the bytes need no grant
            cfg = {"type": "escpos_network", "id": "rp", "host": "127.0.0.1", "port": sim.port}
            printer = build_printer(EscposNetwork.model_validate({**cfg, "paper_mm": 58}))

            async def on_start() -> None:
                return None

            ctx = JobContext(terminal="narrow-kiosk", camera_lock=camera_locks())
            outcome = await run_receipt(printer, params, on_start, ctx)
            assert outcome.state is AckState.SUCCEEDED, outcome
            assert outcome.result["proof"]["paper_dots"] == PAPER_58MM
            await _finish(served, job_id, outcome.result)
            r = await http.get(f"/api/v1/jobs/{job_id}/attachments/proof")
    assert r.status_code == 200, r.text
    width, height = png_size(r.content)
    left, right = _ink_columns(r.content)
    assert width == PAPER_58MM
    assert abs((left + right) / 2 - PAPER_58MM / 2) < 8  # centred on the 58 mm paper
    assert right < PAPER_58MM - 1  # nothing runs off the paper's edge
    sent = render_receipt(params)
    assert height > png_size(render_proof(sent, PAPER_80MM))[1]  # the long line wrapped


async def test_the_png_an_older_agent_uploaded_is_still_served(tmp_path: Path) -> None:
    """Before issue 17 agents drew the proof and uploaded it (role ``proof``)."""
    png = render_proof(render_receipt(ReceiptParams.model_validate(TICKET)), PAPER_58MM)
    async with served_cloud(tmp_path / "cloud") as served:
        token = await make_api_token(served.sessions)
        async with httpx.AsyncClient(base_url=served.base_url, headers=bearer(token)) as http:
            job_id = await _running_receipt_job(served, http)
            secret = served.parts.settings.secret_key.get_secret_value()
            grant = blob_store.make_grant(secret, job_id, 60)
            uploads = Uploads(
                base=f"{served.base_url}/api/v1/blobs", grant=grant, expires=int(time.time()) + 60
            )
            blobs = await upload_blobs(uploads, [("proof", "image/png", png)])
            width, height = png_size(png)
            proof = {
                "sha256": blobs[0]["sha256"],
                "bytes": len(png),
                "width": width,
                "height": height,
            }
            await _finish(served, job_id, {"bytes": 1, "proof": proof, "blobs": blobs})
            r = await http.get(f"/api/v1/jobs/{job_id}/attachments/proof")
    assert r.status_code == 200 and r.content == png
    assert r.headers["etag"] == f'"{hashlib.sha256(png).hexdigest()}"' and width == PAPER_58MM
