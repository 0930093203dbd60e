"""Reconnect storm: N real agent links lose their broker at once and come back.

N ``edge_agent.link.MqttLink`` instances (the agent's real connect/backoff/outbox code, without
the peripherals) run in this one asyncio process against a private Mosquitto on a free
loopback port. Each publishes a QoS 1 ``evt`` carrying its own sequence number every few
seconds; a subscriber with a persistent session counts them. Then the broker is killed
(SIGKILL by default), restarted on the same port from its persistence file, and the benchmark
prints how long the fleet took to reconnect, connects per second (CONNACKs counted at the
clients, per second), the backoff parameters that bound that rate, and messages lost or
duplicated.

    python -m benchmarks.reconnect_storm --agents 1000
    python -m benchmarks.reconnect_storm --quick          # 100 agents, shorter phases

Targets (issue #4): every agent back within 60 s; no QoS 1 message lost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import platform
import resource
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from benchmarks._storm_broker import Broker, Tally
from edge_agent.config import AgentConfig, MqttSettings
from edge_agent.link import MqttLink, backoff_window
from protocols.messages import BirthBody, EventBody, EventKind, Health, Role, Versions
from protocols.topics import DeviceChannel

SITE = "qh/hx/golmud/hhl"
#: how often the monitor looks at the links' session counters
TICK_S = 0.05


@dataclass
class Result:
    agents: int
    reconnect_s: float  # from the broker accepting connections again until all are back
    since_kill_s: float
    peak_connects_per_s: int
    connects_per_s: list[int]
    refused_attempts: int
    queued: int
    received: int
    lost: int
    duplicates: int
    min_s: float
    max_s: float

    @property
    def ceiling_per_s(self) -> float:
        """Expected attempts per second of N agents retrying over the smallest window."""
        return 2 * self.agents / backoff_window(0, self.min_s, self.max_s)


def make_link(i: int, url: str, data_dir: Path, prefix: str) -> MqttLink:
    device_id = f"{prefix}-{i:05d}"
    config = AgentConfig(
        device_id=device_id,
        role=Role.KIOSK,
        site=SITE,
        data_dir=data_dir / device_id,
        mqtt=MqttSettings(url=url),
    )

    def birth(bd_seq: int) -> BirthBody:
        return BirthBody(
            device_id=device_id,
            role=Role.KIOSK,
            site=SITE,
            name=device_id,
            bd_seq=bd_seq,
            versions=Versions(agent="storm", protocol=1),
            peripherals=[],
        )

    async def ignore(*_: object) -> None:
        return None

    return MqttLink(config, birth=birth, on_reject=ignore)


async def produce(link: MqttLink, interval: float, phase: float, counts: list[int], i: int) -> None:
    """One QoS 1 event every ``interval`` s, numbered; queued even while disconnected."""
    await asyncio.sleep(phase)
    while True:
        n = counts[i]
        body = EventBody(
            kind=EventKind.PERIPHERAL_HEALTH, peripheral="storm", health=Health.OK, data={"n": n}
        )
        await link.publish(DeviceChannel.EVT, body)
        counts[i] = n + 1
        await asyncio.sleep(interval)


async def monitor(links: list[MqttLink], per_s: Counter[int], since: float, baseline: int) -> None:
    """Count new sessions (CONNACKs) per whole second since ``since``; ``baseline`` is the
    session count before the outage (sessions made before this task first runs count too)."""
    last = baseline
    while True:
        await asyncio.sleep(TICK_S)
        now = sum(link.sessions for link in links)
        if now > last:
            per_s[int(time.monotonic() - since)] += now - last
        last = now


async def wait_all(links: list[MqttLink], after: list[int], limit_s: float) -> None:
    """Until each link has a session newer than ``after`` and is connected."""
    deadline = time.monotonic() + limit_s
    pending = list(range(len(links)))
    while pending:
        pending = [i for i in pending if not (links[i].sessions > after[i] and _up(links[i]))]
        if pending and time.monotonic() > deadline:
            raise SystemExit(f"{len(pending)} of {len(links)} agents did not reconnect in time")
        await asyncio.sleep(TICK_S)


def _up(link: MqttLink) -> bool:
    return link.connected.is_set()


def _work_dirs() -> tuple[Path, Path]:
    """The broker's directory, and the agents' (bd_seq files) on tmpfs when there is one:
    every connection attempt fsyncs bd_seq, cheap on N kiosks but not N times on one disk."""
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    return (
        Path(tempfile.mkdtemp(prefix="kf-storm-")),
        Path(tempfile.mkdtemp(prefix="kf-storm-agents-", dir=shm)),
    )


@dataclass
class Outage:
    """When the broker went down and came back, and what the fleet did about it."""

    t_kill: float
    t_up: float
    t_all: float  # every agent connected again
    refused: int
    per_s: Counter[int]  # the monitor keeps counting into it until the rig is closed


class Rig:
    """The broker, the counting subscriber and N agent links, and everything they change.

    ``start`` brings up the broker and the subscriber; ``close`` undoes whatever was done,
    however far ``start`` and the phases got. Use it through ``storm_rig``.
    """

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.soft, self.hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.link_log = logging.getLogger("edge_agent.link")
        self.log_level = self.link_log.level
        self.tmp, self.agent_dir = _work_dirs()
        self.broker = Broker(self.tmp)
        self.links: list[MqttLink] = []
        self.link_tasks: list[asyncio.Task[None]] = []
        self.producers: list[asyncio.Task[None]] = []
        self.monitors: list[asyncio.Task[None]] = []
        self.tally: Tally | None = None

    async def start(self) -> Tally:
        if self.hard < 2 * self.args.agents + 100:
            raise SystemExit(
                f"open-files limit {self.hard} is too low for {self.args.agents} agents"
            )
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.hard, self.hard))  # mosquitto inherits it
        self.link_log.setLevel(logging.ERROR)  # a line per retry otherwise
        await self.broker.start()
        self.tally = Tally(self.broker.port, asyncio.get_running_loop())
        if not await asyncio.to_thread(self.tally.subscribed.wait, 15):
            raise SystemExit("the subscriber did not subscribe")
        return self.tally

    async def close(self) -> None:
        for link in self.links:
            link.stop()  # an orderly goodbye while the broker is still up
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.gather(*self.link_tasks, return_exceptions=True)
        tasks = self.link_tasks + self.producers + self.monitors
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self.tally is not None:
            self.tally.stop()
        await self.broker.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
        shutil.rmtree(self.agent_dir, ignore_errors=True)
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.soft, self.hard))
        self.link_log.setLevel(self.log_level)


@contextlib.asynccontextmanager
async def storm_rig(args: argparse.Namespace) -> AsyncIterator[tuple[Rig, Tally]]:
    rig = Rig(args)
    try:
        yield rig, await rig.start()
    finally:
        await rig.close()


async def cold_start(rig: Rig) -> None:
    """Every agent connects to a fresh broker; prints how long that took."""
    args = rig.args
    rig.links = [
        make_link(i, rig.broker.url, rig.agent_dir, args.prefix) for i in range(args.agents)
    ]
    t0 = time.monotonic()
    rig.link_tasks = [asyncio.create_task(link.run()) for link in rig.links]
    await wait_all(rig.links, [0] * len(rig.links), args.timeout)
    print(f"cold start          {args.agents} agents connected in {time.monotonic() - t0:.1f} s")


def start_producers(rig: Rig) -> list[int]:
    """Each agent publishes, phases spread over one interval; returns the live sent counts."""
    links, interval = rig.links, rig.args.interval
    counts = [0] * len(links)
    rig.producers = [
        asyncio.create_task(produce(link, interval, interval * i / len(links), counts, i))
        for i, link in enumerate(links)
    ]
    return counts


async def outage(rig: Rig) -> Outage:
    """Kill the broker, keep it down, restart it; until every agent is connected again."""
    args, links = rig.args, rig.links
    sessions = [link.sessions for link in links]
    failures = sum(link.failures for link in links)
    per_s: Counter[int] = Counter()
    if not rig.broker.db.exists():
        raise SystemExit(f"mosquitto saved no persistence file ({rig.broker.db})")
    t_kill = time.monotonic()
    await rig.broker.kill(signal.SIGKILL if args.kill == "sigkill" else signal.SIGTERM)
    await asyncio.sleep(args.down)  # the outage itself
    await rig.broker.start()
    t_up = time.monotonic()
    rig.monitors.append(asyncio.create_task(monitor(links, per_s, t_up, sum(sessions))))
    await wait_all(links, sessions, args.timeout)
    t_all = time.monotonic()
    refused = sum(link.failures for link in links) - failures - len(links)  # - lost sessions
    return Outage(t_kill=t_kill, t_up=t_up, t_all=t_all, refused=refused, per_s=per_s)


async def drain(tally: Tally, queued: int, limit_s: float) -> None:
    """Until the subscriber has seen ``queued`` distinct events, or ``limit_s`` is over."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(limit_s):
            while len(tally.seen) < queued:
                tally.changed.clear()
                await tally.changed.wait()


def result(rig: Rig, tally: Tally, out: Outage, counts: list[int], queued: int) -> Result:
    links = rig.links
    ids = [link.config.device_id for link in links]
    lost = sum((ids[i], n) not in tally.seen for i in range(len(links)) for n in range(counts[i]))
    buckets = [out.per_s.get(s, 0) for s in range(max(out.per_s, default=-1) + 1)]
    mqtt = links[0].config.mqtt
    return Result(
        agents=rig.args.agents,
        reconnect_s=out.t_all - out.t_up,
        since_kill_s=out.t_all - out.t_kill,
        peak_connects_per_s=max(buckets, default=0),
        connects_per_s=buckets,
        refused_attempts=out.refused,
        queued=queued,
        received=tally.received,
        lost=lost,
        duplicates=tally.received - len(tally.seen),
        min_s=mqtt.reconnect_min_s,
        max_s=mqtt.reconnect_max_s,
    )


async def run(args: argparse.Namespace) -> Result:
    """Start the broker and the fleet, kill and restart the broker, measure."""
    async with storm_rig(args) as (rig, tally):
        await cold_start(rig)
        counts = start_producers(rig)
        await asyncio.sleep(args.steady)  # the fleet publishing normally: nothing to await
        out = await outage(rig)
        await asyncio.sleep(args.after)  # publishing on the new sessions
        for task in rig.producers:
            task.cancel()
        queued = sum(counts)  # the producers are cancelled: no count moves any more
        await drain(tally, queued, args.drain)
        return result(rig, tally, out, counts, queued)


def report(r: Result, args: argparse.Namespace) -> None:
    print(f"clients             real edge_agent.link.MqttLink x {r.agents}, one asyncio process")
    print(f"outage              broker {args.kill}, restarted after {args.down:g} s")
    print(
        f"all reconnected     {r.reconnect_s:.1f} s after the broker was back "
        f"({r.since_kill_s:.1f} s after the kill)"
    )
    print(f"connects per second {r.connects_per_s} (CONNACKs at the clients, from restart)")
    print(f"peak connect rate   {r.peak_connects_per_s}/s")
    print(f"failed attempts     {r.refused_attempts} (not counting the {r.agents} lost sessions)")
    window = backoff_window(0, r.min_s, r.max_s)
    # full jitter: a retry lands on average half a window later, so N agents retrying at
    # once make at most about 2N / window attempts per second (N / window for the first)
    print(
        f"backoff             full jitter over min({r.max_s:g}, max({window:g}, {r.min_s:g} * "
        f"2**attempt)) s; smallest window {window:g} s -> ceiling 2N/window = "
        f"{r.ceiling_per_s:.0f}/s"
    )
    print(
        f"messages            queued {r.queued}, received {r.received}, "
        f"lost {r.lost}, duplicates {r.duplicates}"
    )
    print(f"machine             {platform.machine()}, {platform.python_version()}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--agents", type=int, default=None, help="agents (default 1000; quick 100)")
    p.add_argument("--quick", action="store_true", help="100 agents and short phases")
    p.add_argument("--interval", type=float, default=None, help="s between an agent's events")
    p.add_argument("--steady", type=float, default=None, help="s of publishing before the kill")
    p.add_argument("--down", type=float, default=None, help="s the broker stays down")
    p.add_argument("--after", type=float, default=None, help="s of publishing after the storm")
    p.add_argument("--kill", choices=["sigkill", "sigterm"], default="sigkill")
    p.add_argument("--drain", type=float, default=30.0, help="s to wait for the last messages")
    p.add_argument("--timeout", type=float, default=120.0, help="s to wait for (re)connection")
    p.add_argument("--prefix", default="storm")
    args = p.parse_args(argv)
    quick = {"agents": 100, "interval": 1.0, "steady": 3.0, "down": 2.0, "after": 2.0}
    full = {"agents": 1000, "interval": 5.0, "steady": 15.0, "down": 5.0, "after": 10.0}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def main(argv: list[str] | None = None) -> Result:
    args = parse_args(argv)
    result = asyncio.run(run(args))
    report(result, args)
    return result


if __name__ == "__main__":
    main()
