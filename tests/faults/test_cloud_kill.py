"""The cloud (a real ``kfleet cloud run`` process, on SQLite and on PostgreSQL) is SIGKILLed in
the middle of a burst of job submissions and started again.

Every job of the burst is POSTed twice at once with its idempotency key (a client that
retries eagerly). The printer holds the first job, so the burst piles up unfinished at the
kill; some POSTs are cut off. While the cloud is down the agent prints what it had accepted;
its acks wait at the broker in the cloud's persistent session. After the restart the client
POSTs every key again (twice at once): each key names one job, the one answered before the
kill if there was one; every job ends ``succeeded`` and every receipt was printed once."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.ledger import TERMINAL, device_online, printed, receipt, wait_state
from tests.faults.procs import CloudProcess, Mosquitto, agent_toml, running_agent, tail

BURST = 16
#: POSTs of each key at once
COPIES = 2
ANSWERED_BEFORE_KILL = 8


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
                httpx.AsyncClient(
                    base_url=cloud.base_url, headers=cloud.headers, timeout=30
                ) as client,
            ):
                await device_online(client, dev)
                printer.faults.hold_after_bytes = 0
                before = await burst_and_kill(cloud, client, dev, tags)
                printer.faults.hold_after_bytes = None
                printer.release()  # the agent prints while the cloud is down
                await cloud.start()
                jobs = await post_again(client, dev, before, tags)
                for tag, job in jobs.items():
                    done = await wait_state(client, job["id"], TERMINAL, timeout=60)
                    assert done["state"] == "succeeded", (tag, done)
                listed = await client.get("/api/v1/jobs", params={"device": dev, "limit": 100})
                assert listed.json()["total"] == BURST  # no job was created twice
        except AssertionError:
            print(f"cloud log:\n{tail(cloud.log)}")
            raise
    assert printed(printer.out_dir) == dict.fromkeys(tags, 1)


def one_id(tag: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The job the answers for ``tag`` name: all of them the same one."""
    assert len({a["id"] for a in answers}) == 1, (tag, [a["id"] for a in answers])
    return answers[0]


async def post_again(
    client: httpx.AsyncClient, dev: str, before: dict[str, dict[str, Any]], tags: list[str]
) -> dict[str, dict[str, Any]]:
    """After the restart, every key again (``COPIES`` at once): one job per key, the one
    answered before the kill where there was one."""
    posts = [post_job(client, dev, tag) for tag in tags for _ in range(COPIES)]
    answers = await asyncio.gather(*posts)
    jobs = {}
    for i, tag in enumerate(tags):
        jobs[tag] = one_id(tag, [*answers[i * COPIES : (i + 1) * COPIES], *before.get(tag, [])])
    return jobs


async def burst_and_kill(
    cloud: CloudProcess, client: httpx.AsyncClient, dev: str, tags: list[str]
) -> dict[str, list[dict[str, Any]]]:
    """Submit every tag ``COPIES`` times at once, SIGKILL the cloud after a few answers; the
    answers received, per tag."""
    tasks = [
        (t, asyncio.create_task(post_job(client, dev, t))) for t in tags for _ in range(COPIES)
    ]
    pending: set[asyncio.Task[dict[str, Any]]] = {task for _, task in tasks}
    answered = 0
    while answered < ANSWERED_BEFORE_KILL:
        done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        answered += len(done)
    cloud.kill()
    await asyncio.gather(*pending, return_exceptions=True)
    answered: dict[str, list[dict[str, Any]]] = {}
    for tag, task in tasks:
        if isinstance(task.exception(), httpx.TransportError):
            continue  # cut off by the kill: retried after the restart
        answered.setdefault(tag, []).append(task.result())  # a 5xx fails here
    assert sum(map(len, answered.values())) >= ANSWERED_BEFORE_KILL
    unfinished = [a for tag in answered for a in answered[tag] if a["state"] not in TERMINAL]
    assert unfinished, "the burst should be unfinished when the cloud dies"
    return {tag: [one_id(tag, answers)] for tag, answers in answered.items()}
