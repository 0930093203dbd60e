"""Two cloud processes on one database (``KFLEET_MQTT_SHARED_GROUP`` splits the device traffic
between them) get the POSTs of one idempotency key at the same instant, half each: one job.

This is the race a single process cannot show on SQLite, whose one connection per process
serialises that process's transactions: here two processes' transactions meet in the file
(WAL, busy timeout), the loser's INSERT hits the unique constraint, and it must answer with
the winner's job as on PostgreSQL — never a 500, never a second job."""

from __future__ import annotations

from pathlib import Path

import httpx

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.burst import burst, job_body, one_job_per_key, warm_up
from tests.faults.ledger import TERMINAL, device_online, printed, wait_state
from tests.faults.procs import CloudProcess, Mosquitto, agent_toml, running_agent, tail

SITE = "qh/hx/golmud/hhl"
#: bursts, one after the other: on SQLite a burst's first key is where the two processes
#: collide (the loser then waits for the file's write lock and falls behind), so each round
#: is one more chance of the race
ROUNDS = 4
#: keys per burst: one device-targeted, one site-targeted
KEYS = 2
#: POSTs of each key: to cloud a, b, a, b, with body 0, 0, 1, 1
COPIES = 4


def bodies_of(dev: str, tag: str) -> list[dict[str, object]]:
    """``KEYS`` keys x ``COPIES`` bodies; copy ``c`` goes to cloud ``c % 2`` (the burst sends
    body ``i`` to cloud ``i % 2`` and ``COPIES`` is even) with body ``c // 2``."""
    targets = [{"device_id": dev}, {"site": SITE}]
    return [
        job_body(targets[k], f"{tag}-{k}", f"{tag}-{k}-{c // 2}")
        for k in range(KEYS)
        for c in range(COPIES)
    ]


async def test_one_key_posted_to_two_clouds_at_once_makes_one_job(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_db: str
) -> None:
    dev = f"kiosk-{uid}"
    config = agent_toml(
        tmp_path / "agent" / "agent.toml",
        device_id=dev,
        broker_url=broker.url,
        printer_port=printer.port,
        site=SITE,
    )
    shared = cloud_db or f"sqlite+aiosqlite:///{tmp_path / 'cloud-a' / 'kfleet.db'}"
    common = {"mqtt_shared_group": f"kf-{uid}", "database_url": shared}
    winners: dict[str, str] = {}
    with (
        CloudProcess(tmp_path / "cloud-a", broker.url, mqtt_client_id=f"a-{uid}", **common) as a,
        CloudProcess(tmp_path / "cloud-b", broker.url, mqtt_client_id=f"b-{uid}", **common) as b,
    ):
        await a.start()
        await b.start()
        try:
            async with (
                running_agent(config),
                httpx.AsyncClient(base_url=a.base_url, headers=a.headers, timeout=30) as http,
            ):
                await device_online(http, dev)
                for cloud in (a, b):
                    async with httpx.AsyncClient(
                        base_url=cloud.base_url, headers=cloud.headers, timeout=30
                    ) as c:
                        await warm_up(c, KEYS * COPIES // 2)
                for r in range(ROUNDS):
                    bodies = bodies_of(dev, f"two-{r}-{uid}")
                    answers = await burst([a.base_url, b.base_url], bodies, a.token)
                    for k in range(0, KEYS * COPIES, COPIES):
                        job_id, body = one_job_per_key(
                            bodies[k : k + COPIES], answers[k : k + COPIES]
                        )
                        winners[job_id] = body["params"]["lines"][1]["text"].removeprefix("tag:")
                for job_id in winners:
                    done = await wait_state(http, job_id, TERMINAL, timeout=60)
                    assert done["state"] == "succeeded", done
                listed = await http.get("/api/v1/jobs", params={"limit": 100})
                assert listed.json()["total"] == len(winners)
        except AssertionError:
            print(f"cloud a log:\n{tail(a.log)}\ncloud b log:\n{tail(b.log)}")
            raise
    assert printed(printer.out_dir) == dict.fromkeys(winners.values(), 1)
