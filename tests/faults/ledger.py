"""Counting what was sent and what arrived: receipts on paper per job, jobs and events at the
cloud (over its REST API), so every fault case can assert "nothing lost, nothing twice".

A receipt carries a tag (``tag:<tag>``) the test chooses per job; the printer simulator writes
one ``<n>.txt`` per receipt it actually printed, so counting tags in those files counts side
effects — the one thing a duplicate ``job.run`` must never multiply.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from edge_agent.drivers.escpos_render import render_receipt
from protocols.jobs import ReceiptParams
from tests.faults.procs import eventually

_TAG = re.compile(r"tag:(\S+)")
TERMINAL = frozenset({"succeeded", "failed", "canceled", "expired"})
#: DLE EOT 2 and DLE EOT 4 the driver sends before a job: the bytes ahead of the receipt
STATUS_QUERIES = 6


def receipt(tag: str) -> dict[str, Any]:
    """``print_receipt`` params whose printed text names ``tag``."""
    return {
        "lines": [
            {"type": "text", "text": "黄河路街道办事处 受理回执", "align": "center"},
            {"type": "text", "text": f"tag:{tag}"},
            {"type": "qr", "data": f"https://kf.example.invalid/t/{tag}"},
        ],
        "cut": True,
    }


def receipt_bytes(tag: str) -> int:
    """How many bytes the agent sends the printer for :func:`receipt` (``tag``)."""
    return len(render_receipt(ReceiptParams.model_validate(receipt(tag))))


def printed(out_dir: Path) -> Counter[str]:
    """How many receipts the simulator printed per tag (every ``<n>.txt`` in ``out_dir``)."""
    counts: Counter[str] = Counter()
    for path in out_dir.glob("*.txt"):
        counts.update(_TAG.findall(path.read_text(encoding="utf-8")))
    return counts


async def submit(
    client: httpx.AsyncClient, device_id: str, tag: str, **extra: Any
) -> dict[str, Any]:
    """``POST /api/v1/jobs``: a receipt tagged ``tag`` for ``device_id``; returns the job."""
    body = {
        "kind": "print_receipt",
        "target": {"device_id": device_id},
        "params": receipt(tag),
        **extra,
    }
    r = await client.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    job: dict[str, Any] = r.json()
    return job


async def job(client: httpx.AsyncClient, job_id: str, wait_s: float = 0) -> dict[str, Any]:
    r = await client.get(f"/api/v1/jobs/{job_id}", params={"wait_s": wait_s})
    assert r.status_code == 200, r.text
    out: dict[str, Any] = r.json()
    return out


async def wait_state(
    client: httpx.AsyncClient,
    job_id: str,
    states: set[str] | frozenset[str],
    timeout: float = 30.0,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Poll the job until its state is one of ``states``."""

    async def probe() -> dict[str, Any] | None:
        found = await job(client, job_id)
        return found if found["state"] in states else None

    return await eventually(probe, timeout, f"job {job_id} to be in {sorted(states)}")


async def transitions(client: httpx.AsyncClient, job_id: str) -> list[str]:
    """The job's states, oldest first (``to_state`` of every recorded event)."""
    r = await client.get(f"/api/v1/jobs/{job_id}/events")
    assert r.status_code == 200, r.text
    return [e["to_state"] for e in r.json()]


async def device_online(client: httpx.AsyncClient, device_id: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Until the cloud says ``device_id`` is online (its birth was applied)."""

    async def probe() -> bool | None:
        r = await client.get(f"/api/v1/devices/{device_id}")
        return True if r.status_code == 200 and r.json()["online"] else None

    await eventually(probe, timeout, f"{device_id} to be online at the cloud")


async def bus_stats(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/api/v1/stats/bus")
    assert r.status_code == 200, r.text
    stats: dict[str, Any] = r.json()
    return stats
