"""The cloud (a real ``kfleet cloud run`` process on SQLite) is SIGKILLed in the middle of a
burst of job submissions and started again.

The printer holds the first job, so the burst piles up unfinished at the kill; some POSTs
are cut off (the client retries them with the same idempotency key, as a real client does).
While the cloud is down the agent prints what it had accepted; its acks wait at the broker in
the cloud's persistent session. After the restart every job ends ``succeeded`` and every
receipt was printed exactly once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.ledger import TERMINAL, device_online, printed, receipt, wait_state
from tests.faults.procs import CloudProcess, Mosquitto, agent_toml, running_agent, tail

BURST = 16
ANSWERED_BEFORE_KILL = 5


async def post_job(client: httpx.AsyncClient, dev: str, tag: str) -> dict[str, Any]:
    """Submit (or, after a crash, re-submit) the job for ``tag``: its idempotency key."""
    body = {
        "kind": "print_receipt",
        "target": {"device_id": dev},
        "params": receipt(tag),
        "idempotency_key": tag,
    }
    r = await client.post("/api/v1/jobs", json=body)
    assert r.status_code in (200, 201), r.text
    out: dict[str, Any] = r.json()
    return out


async def test_cloud_killed_mid_dispatch_and_restarted(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    tags = [f"burst-{i}-{uid}" for i in range(BURST)]
    config = agent_toml(
        tmp_path / "agent" / "agent.toml",
        device_id=dev,
        broker_url=broker.url,
        printer_port=printer.port,
        status_timeout_s=30,  # the held first job outlives the cloud's downtime
    )
    with CloudProcess(
        tmp_path / "cloud",
        broker.url,
        mqtt_client_id=f"kfleet-cloud-{uid}",
        ack_timeout_s=2,
        dispatch_interval_s=0.2,
    ) as cloud:
        await cloud.start()
        try:
            async with (
                running_agent(config),
                httpx.AsyncClient(base_url=cloud.base_url, timeout=30) as client,
            ):
                await device_online(client, dev)
                printer.faults.hold_after_bytes = 0
                jobs = await burst_and_kill(cloud, client, dev, tags)
                printer.faults.hold_after_bytes = None
                printer.release()  # the agent prints while the cloud is down
                await cloud.start()
                for tag in tags:  # the client retries what the crash cut off
                    jobs.setdefault(tag, await post_job(client, dev, tag))
                for tag, job in jobs.items():
                    done = await wait_state(client, job["id"], TERMINAL, timeout=60)
                    assert done["state"] == "succeeded", (tag, done)
                listed = await client.get("/api/v1/jobs", params={"device": dev, "limit": 100})
                assert listed.json()["total"] == BURST  # no job was created twice
        except AssertionError:
            print(f"cloud log:\n{tail(cloud.log)}")
            raise
    assert printed(printer.out_dir) == dict.fromkeys(tags, 1)


async def burst_and_kill(
    cloud: CloudProcess, client: httpx.AsyncClient, dev: str, tags: list[str]
) -> dict[str, dict[str, Any]]:
    """Submit every tag at once, SIGKILL the cloud after a few answers; the jobs answered."""
    tasks = {tag: asyncio.create_task(post_job(client, dev, tag)) for tag in tags}
    pending: set[asyncio.Task[dict[str, Any]]] = set(tasks.values())
    answered = 0
    while answered < ANSWERED_BEFORE_KILL:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        answered += len(done)
    cloud.kill()
    await asyncio.gather(*pending, return_exceptions=True)
    jobs = {}
    for tag, task in tasks.items():
        if not task.cancelled() and task.exception() is None:
            jobs[tag] = task.result()
    assert len(jobs) >= ANSWERED_BEFORE_KILL
    unfinished = [j for j in jobs.values() if j["state"] not in TERMINAL]
    assert unfinished, "the burst should be unfinished when the cloud dies"
    return jobs
