"""Rolling upgrade of the cloud (issue 12): two cloud processes on one PostgreSQL share the
device traffic (``$share`` group); each is stopped and started again in turn while jobs and
telemetry flow. Every job ends once (one ``succeeded``, one receipt), no telemetry point is
lost or stored twice."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.ledger import TERMINAL, device_online, transitions, wait_state
from tests.faults.procs import CloudProcess, Mosquitto, agent_toml, eventually, running_agent

from .rolling_kit import TeleSender, receipts, stored_points, submit_to_any

SITE = "qh/hx/golmud/hhl"
JOBS_PER_PHASE = 6
TELE_PERIOD_S = 0.04  # per sender, until the last phase: the flow spans both restarts


async def tele_stats(clouds: list[CloudProcess]) -> list[object]:
    """Each instance's telemetry counters (for a failure message)."""
    out: list[object] = []
    for c in clouds:
        async with httpx.AsyncClient(base_url=c.base_url, headers=c.headers) as http:
            out.append((await http.get("/api/v1/telemetry/stats")).json())
    return out


def clouds_for(tmp_path: Path, broker: Mosquitto, db: str, uid: str) -> list[CloudProcess]:
    common = {
        "database_url": db,
        "mqtt_shared_group": f"kf-{uid}",
        "dispatch_interval_s": 0.2,
        "ack_timeout_s": 2.0,
        "reconcile_after_s": 3.0,
        "retry_backoff_s": 0.2,
        "log_format": "json",
    }
    return [
        CloudProcess(tmp_path / f"cloud-{n}", broker.url, mqtt_client_id=f"{n}-{uid}", **common)
        for n in ("a", "b")
    ]


async def test_restarting_each_cloud_in_turn_loses_nothing_and_does_nothing_twice(
    tmp_path: Path,
    uid: str,
    broker: Mosquitto,
    printers: list[EscPosPrinterSim],
    shared_db: str,
) -> None:
    kiosks = [f"kiosk-{n}-{uid}" for n in (1, 2)]
    configs = [
        agent_toml(
            tmp_path / k / "agent.toml",
            device_id=k,
            broker_url=broker.url,
            printer_port=p.port,
            site=SITE,
        )
        for k, p in zip(kiosks, printers, strict=True)
    ]
    a, b = clouds = clouds_for(tmp_path, broker, shared_db, uid)
    senders = [TeleSender(broker.url, f"tele-{n}-{uid}", TELE_PERIOD_S) for n in (1, 2)]
    jobs: dict[str, str] = {}  # job id -> tag
    with a, b:
        await a.start()
        await b.start()
        async with (
            running_agent(configs[0]),
            running_agent(configs[1]),
            senders[0].device,
            senders[1].device,
            httpx.AsyncClient(base_url=a.base_url, headers=a.headers, timeout=30) as http,
        ):
            for k in kiosks:
                await device_online(http, k)
            for s in senders:
                await s.device.birth()
                await device_online(http, s.device.device_id)
            flow = [asyncio.create_task(s.run()) for s in senders]

            async def phase(name: str) -> None:
                for i in range(JOBS_PER_PHASE):
                    target = {"device_id": kiosks[i % 2]} if i % 3 else {"site": SITE}
                    tag = f"{name}-{i}-{uid}"
                    jobs[(await submit_to_any(clouds, i, target, tag))["id"]] = tag

            await phase("both")
            await asyncio.to_thread(a.stop)  # SIGTERM: graceful; the loop serves on meanwhile
            await phase("b-only")
            await a.start()
            await phase("both-again")
            await asyncio.to_thread(b.stop)
            await phase("a-only")
            await b.start()
            await phase("after")
            for s in senders:
                s.stop()
            sent = await asyncio.gather(*flow)
            assert min(sent) > 100 * 3, sent  # it flowed through both restarts
            assert max(sent) < 3 * 3600 // 2 * 3, sent  # all its points' times still past

            async with httpx.AsyncClient(base_url=b.base_url, headers=b.headers) as via_b:
                for job_id in jobs:
                    done = await wait_state(via_b, job_id, TERMINAL, timeout=60)
                    assert done["state"] == "succeeded", done
                    states = await transitions(via_b, job_id)
                    assert states.count("succeeded") == 1, (job_id, states)

            for s, n in zip(senders, sent, strict=True):
                device_id = s.device.device_id

                async def all_stored(d: str = device_id, want: int = n) -> int | None:
                    got = await asyncio.to_thread(stored_points, shared_db, d)
                    return got if got >= want else None

                try:
                    await eventually(all_stored, 60, f"{n} points of {device_id} stored")
                except AssertionError as err:
                    got = await asyncio.to_thread(stored_points, shared_db, device_id)
                    raise AssertionError(
                        f"{err}: {got} stored; {await tele_stats(clouds)}"
                    ) from err
                assert await asyncio.to_thread(stored_points, shared_db, device_id) == n
    printed = receipts([p.out_dir for p in printers])
    assert sorted(printed.elements()) == sorted(jobs.values())  # each once, nothing else
