"""One idempotency key, many POSTs at once (a client that retries eagerly, a double-click, a
load balancer replaying): exactly one job, every answer names it, one receipt on paper.

Each burst mixes the same body with another one under the same key, sent together over real
HTTP to a real ``kfleet cloud run``. On PostgreSQL the requests' transactions overlap: all see
no job for the key, one INSERT wins and the rest hit the unique constraint — the branch of
``JobService.create`` that must answer with the winner's job (200, or 409 for another body),
never a 500 or a second job. SQLite serialises one process's transactions, so there the burst
proves the same promise through the plain replay path; the SQLite race is across processes
(``test_idempotency_two_clouds.py``)."""

from __future__ import annotations

from pathlib import Path

import httpx

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.burst import burst, job_body, one_job_per_key, warm_up
from tests.faults.ledger import TERMINAL, device_online, printed, wait_state
from tests.faults.procs import CloudProcess, Mosquitto, agent_toml, running_agent, tail

SITE = "qh/hx/golmud/hhl"
#: POSTs of one key at once: every other one with another body
BURST = 24


def bodies_of(target: dict[str, str], key: str, tag: str) -> list[dict[str, object]]:
    """``BURST`` bodies under ``key``: tags ``<tag>-a`` and ``<tag>-b`` in turn."""
    return [job_body(target, key, f"{tag}-{'b' if i % 2 else 'a'}") for i in range(BURST)]


async def test_one_key_posted_concurrently_makes_one_job(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim
) -> None:
    dev = f"kiosk-{uid}"
    config = agent_toml(
        tmp_path / "agent" / "agent.toml",
        device_id=dev,
        broker_url=broker.url,
        printer_port=printer.port,
        site=SITE,
    )
    winners: dict[str, str] = {}  # job id -> the tag that must be on paper once
    with CloudProcess(
        tmp_path / "cloud", broker.url, mqtt_client_id=f"kfleet-cloud-{uid}"
    ) as cloud:
        await cloud.start()
        try:
            async with (
                running_agent(config),
                httpx.AsyncClient(
                    base_url=cloud.base_url, headers=cloud.headers, timeout=30
                ) as http,
            ):
                await device_online(http, dev)
                await warm_up(http, BURST)
                for name, target in (("device", {"device_id": dev}), ("site", {"site": SITE})):
                    bodies = bodies_of(target, f"race-{name}-{uid}", f"{name}-{uid}")
                    job_id, body = one_job_per_key(
                        bodies, await burst(cloud.base_url, bodies, cloud.token)
                    )
                    winners[job_id] = body["params"]["lines"][1]["text"].removeprefix("tag:")
                for job_id in winners:
                    done = await wait_state(http, job_id, TERMINAL, timeout=60)
                    assert done["state"] == "succeeded", done
                listed = await http.get("/api/v1/jobs", params={"limit": 100})
                assert listed.json()["total"] == len(winners)  # no key made a second job
        except AssertionError:
            print(f"cloud log:\n{tail(cloud.log)}")
            raise
    assert printed(printer.out_dir) == dict.fromkeys(winners.values(), 1)
