"""The agent's CPU per receipt job (issue 17: target ≤ 2 ms), measured in process.

One agent's job path: the real :class:`~edge_agent.jobs.runner.JobRunner` and journal, the
real :class:`~edge_agent.link.session.MqttLink` outbox as the ack sink (not connected: acks
are stored, as on a kiosk whose broker is away; no PUBACK deletes), and the ESC/POS network
driver talking to the printer simulator in *another* process (its CPU is not counted).
``--jobs`` queue tickets with a QR code and an upload grant are handed to the runner one at a
time (each waits for its final ack); the proof is the printed bytes packed into the result
(the cloud draws them; an upload, only for streams over 16 KiB, would be stubbed: no cloud).
``time.process_time()`` over the run counts every thread of this process.

    python -m benchmarks.agent_job_cpu --jobs 300 [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from edge_agent.config import AgentConfig, parse_config
from edge_agent.drivers import build_printer
from edge_agent.drivers.escpos_config import EscposNetwork
from edge_agent.jobs import receipt_proof
from edge_agent.jobs.journal import Journal
from edge_agent.jobs.runner import JobRunner
from edge_agent.link.session import MqttLink
from kfleet.world.demo import queue_ticket
from kfleet.world.net import free_port, wait_port
from protocols.envelope import Envelope, MsgType, Sender, decode, encode
from protocols.jobs import AckState, JobKind, Uploads
from protocols.messages import AckBody, BirthBody, make_job_run

FINAL = {AckState.SUCCEEDED, AckState.FAILED, AckState.UNCERTAIN, AckState.REJECTED}


async def _stub_upload(_uploads: Uploads, captures: list[Any]) -> list[dict[str, Any]]:
    return [
        {"sha256": "0" * 64, "content_type": c[1], "bytes": len(c[2]), "role": c[0]}
        for c in captures
    ]


def _config(data_dir: Path) -> AgentConfig:
    return parse_config(
        {
            "device_id": "bench-kiosk",
            "role": "kiosk",
            "site": "qh/hx/golmud/hhl",
            "data_dir": str(data_dir),
            "mqtt": {"url": "mqtt://127.0.0.1:1"},
            "peripherals": [],
        },
        source="benchmark",
    )


class Finals:
    """Wraps the link's ack sink: wakes the benchmark when a job's final ack is stored."""

    def __init__(self, link: MqttLink) -> None:
        self._inner = link.acks
        self.waiting: dict[str, asyncio.Future[AckBody]] = {}

    async def send(self, ack: AckBody, corr: str | None) -> None:
        await self._inner.send(ack, corr)
        future = self.waiting.get(ack.job_id)
        if ack.state in FINAL and future is not None and not future.done():
            future.set_result(ack)

    async def send_tracked(self, ack: AckBody, corr: str | None) -> asyncio.Future[None] | None:
        return await self._inner.send_tracked(ack, corr)


async def bench(tmp: Path, printer_port: int, jobs: int, warmup: int) -> dict[str, float]:
    setattr(receipt_proof, "upload_blobs", _stub_upload)  # noqa: B010 (no cloud here)
    config = _config(tmp / "agent")
    config.data_dir.mkdir(parents=True, exist_ok=True)
    link = MqttLink(config, birth=_no_birth, on_reject=_no_reject)
    finals = Finals(link)
    printer = build_printer(
        EscposNetwork.model_validate(
            {
                "type": "escpos_network",
                "id": "receipt",
                "host": "127.0.0.1",
                "port": printer_port,
                "status_timeout_s": 2,
            }
        )
    )
    journal = Journal(config.data_dir / "jobs.sqlite3")
    runner = JobRunner(journal, {"receipt": printer}, finals)
    workers = asyncio.create_task(runner.run_workers())
    cloud = Sender("cloud")
    uploads = {
        "base": "http://cloud.invalid/api/v1/blobs",
        "grant": "g.1.m",
        "expires": int(time.time()) + 3600,
    }

    def command(n: int) -> Envelope[Any]:  # made before the clock starts: the cloud's work
        params = {**queue_ticket("黄河路街道", f"A{n:03d}"), "uploads": uploads}
        body = make_job_run(job_id=f"job-{n:05d}", kind=JobKind.PRINT_RECEIPT, params=params)
        return decode(encode(cloud.envelope(MsgType.CMD, body, ttl_ms=600_000)))

    envs = [command(n) for n in range(warmup + jobs)]

    async def one(n: int) -> None:
        env = envs[n]
        job_id = env.body.job_id
        done = finals.waiting[job_id] = asyncio.get_running_loop().create_future()
        await runner.handle(env)
        ack = await asyncio.wait_for(done, 30)
        if ack.state is not AckState.SUCCEEDED or "proof" not in ack.result:
            raise SystemExit(f"{job_id} ended {ack.state.value}: {ack.message} {ack.result}")

    try:
        for n in range(warmup):
            await one(n)
        start = _clocks()
        for n in range(warmup, warmup + jobs):
            await one(n)
        end = _clocks()
    finally:
        workers.cancel()
        await asyncio.gather(workers, return_exceptions=True)
        journal.close()
        link.outbox.close()
    return {k: (end[k] - start[k]) * 1000 / jobs for k in end}


def _clocks() -> dict[str, float]:
    """CPU of every thread (and its user/kernel split) and wall time, in seconds."""
    times = os.times()
    return {
        "cpu_ms_per_job": time.process_time(),
        "user_ms_per_job": times.user,
        "system_ms_per_job": times.system,
        "wall_ms_per_job": time.perf_counter(),
    }


def _no_birth(_bd_seq: int) -> BirthBody:
    raise AssertionError("the benchmark's link never connects")


async def _no_reject(*_args: str) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile of the event loop's thread (CPU clock: threads' CPU shows as epoll.poll)",
    )
    parser.add_argument("--sort", default="tottime", help="with --profile: pstats sort key")
    parser.add_argument("--top", type=int, default=30, help="with --profile: rows printed")
    args = parser.parse_args()
    print("load average before:", os.getloadavg())
    with tempfile.TemporaryDirectory(prefix="agent-job-cpu-") as tmpdir:
        tmp = Path(tmpdir)
        port = free_port()
        sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kfleet",
                "sim",
                "printer",
                "--port",
                str(port),
                "--out",
                str(tmp / "paper"),
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_port("127.0.0.1", port, timeout=30)
            run = bench(tmp, port, args.jobs, args.warmup)
            if args.profile:
                prof = cProfile.Profile(time.process_time)
                result = prof.runcall(asyncio.run, run)
                pstats.Stats(prof).sort_stats(args.sort).print_stats(args.top)
            else:
                result = asyncio.run(run)
        finally:
            sim.terminate()
            sim.wait(10)
    print("load average after:", os.getloadavg())
    print(
        f"{args.jobs} receipt jobs: CPU {result['cpu_ms_per_job']:.2f} ms/job "
        f"(all threads; user {result['user_ms_per_job']:.2f}, kernel "
        f"{result['system_ms_per_job']:.2f}), wall {result['wall_ms_per_job']:.1f} ms/job"
    )


if __name__ == "__main__":
    main()
