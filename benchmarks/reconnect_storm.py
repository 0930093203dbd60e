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
import getpass
import json
import logging
import platform
import resource
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from edge_agent.config import AgentConfig, MqttSettings
from edge_agent.link import MqttLink, backoff_window
from kfleet.world.net import free_port
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


class Broker:
    """A Mosquitto on a fixed loopback port that can be killed and started again."""

    def __init__(self, tmp: Path) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not Path(binary).exists():
            sys.exit("mosquitto is not installed: apt-get install mosquitto")
        self.port = free_port()
        self.conf = tmp / "mosquitto.conf"
        # Persistence (saved every second) keeps the subscriber's session and the QoS 1
        # messages queued for it across a restart, even after SIGKILL. Started as root,
        # mosquitto would switch to the user "mosquitto" and fail to write the file.
        self.db = tmp / "mosquitto.db"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_connections -1\n"
            f"persistence true\npersistence_location {tmp}/\nautosave_interval 1\n"
            f"user {getpass.getuser()}\n"
            "max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\n"
            "log_dest none\n"
        )
        self.binary = binary
        self.proc: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(self.binary, "-c", str(self.conf))
        deadline = time.monotonic() + 15
        while True:  # polling a port another process opens: there is no event to await
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            except OSError:
                if time.monotonic() > deadline or self.proc.returncode is not None:
                    raise SystemExit("mosquitto did not start") from None
                await asyncio.sleep(0.01)
                continue
            writer.close()
            await writer.wait_closed()
            return

    async def kill(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        async with asyncio.timeout(30):
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            await self.kill(signal.SIGTERM)


class Tally:
    """The subscriber: a persistent session on every device's ``evt`` topic.

    Plain paho in its own thread, not aiomqtt: aiomqtt drops the messages still in its queue
    when the connection drops, after paho has acknowledged them, which would count as loss.
    paho acknowledges a QoS 1 message only after ``on_message`` returned.
    """

    def __init__(self, port: int, loop: asyncio.AbstractEventLoop) -> None:
        self.seen: Counter[tuple[str, int]] = Counter()
        self.changed = asyncio.Event()
        self.subscribed = threading.Event()
        self._loop = loop
        self._lock = threading.Lock()
        client = paho.Client(
            CallbackAPIVersion.VERSION2, client_id="storm-counter", clean_session=False
        )
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *_: self.subscribed.set()
        client.on_message = self._on_message
        client.reconnect_delay_set(1, 1)
        client.connect("127.0.0.1", port)
        client.loop_start()
        self._client = client

    def _on_connect(self, client: paho.Client, *_: object) -> None:
        client.subscribe(f"kf/v1/dev/+/{DeviceChannel.EVT.value}", qos=1)

    def _on_message(self, _c: paho.Client, _u: object, message: paho.MQTTMessage) -> None:
        env = json.loads(message.payload)
        with self._lock:
            self.seen[(env["src"], env["body"]["data"]["n"])] += 1
        self._loop.call_soon_threadsafe(self.changed.set)

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    @property
    def received(self) -> int:
        with self._lock:
            return sum(self.seen.values())


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


async def run(args: argparse.Namespace) -> Result:
    """Start the broker and the fleet, kill and restart the broker, measure."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard < 2 * args.agents + 100:
        raise SystemExit(f"open-files limit {hard} is too low for {args.agents} agents")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # mosquitto inherits it too
    link_log = logging.getLogger("edge_agent.link")
    log_level = link_log.level
    link_log.setLevel(logging.ERROR)  # a line per retry otherwise
    tmp, agent_dir = _work_dirs()
    broker = Broker(tmp)
    links: list[MqttLink] = []
    link_tasks: list[asyncio.Task[None]] = []
    others: list[asyncio.Task[None]] = []
    tally: Tally | None = None
    try:
        await broker.start()
        tally = Tally(broker.port, asyncio.get_running_loop())
        if not await asyncio.to_thread(tally.subscribed.wait, 15):
            raise SystemExit("the subscriber did not subscribe")
        links = [make_link(i, broker.url, agent_dir, args.prefix) for i in range(args.agents)]
        t0 = time.monotonic()
        link_tasks = [asyncio.create_task(link.run()) for link in links]
        await wait_all(links, [0] * len(links), args.timeout)
        print(
            f"cold start          {args.agents} agents connected in {time.monotonic() - t0:.1f} s"
        )
        counts = [0] * len(links)
        others += [
            asyncio.create_task(
                produce(link, args.interval, args.interval * i / len(links), counts, i)
            )
            for i, link in enumerate(links)
        ]
        await asyncio.sleep(args.steady)  # the fleet publishing normally: nothing to await
        sessions = [link.sessions for link in links]
        failures = sum(link.failures for link in links)
        per_s: Counter[int] = Counter()
        if not broker.db.exists():
            raise SystemExit(f"mosquitto saved no persistence file ({broker.db})")
        t_kill = time.monotonic()
        await broker.kill(signal.SIGKILL if args.kill == "sigkill" else signal.SIGTERM)
        await asyncio.sleep(args.down)  # the outage itself
        await broker.start()
        t_up = time.monotonic()
        others.append(asyncio.create_task(monitor(links, per_s, t_up, sum(sessions))))
        await wait_all(links, sessions, args.timeout)
        t_all = time.monotonic()
        refused = sum(link.failures for link in links) - failures - len(links)  # - lost sessions
        await asyncio.sleep(args.after)  # publishing on the new sessions
        for task in others[: len(links)]:  # the producers
            task.cancel()
        queued = sum(counts)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(args.drain):
                while len(tally.seen) < queued:
                    tally.changed.clear()
                    await tally.changed.wait()
        ids = [link.config.device_id for link in links]
        lost = sum(
            (ids[i], n) not in tally.seen for i in range(len(links)) for n in range(counts[i])
        )
        buckets = [per_s.get(s, 0) for s in range(max(per_s, default=-1) + 1)]
        mqtt = links[0].config.mqtt
        return Result(
            agents=args.agents,
            reconnect_s=t_all - t_up,
            since_kill_s=t_all - t_kill,
            peak_connects_per_s=max(buckets, default=0),
            connects_per_s=buckets,
            refused_attempts=refused,
            queued=queued,
            received=tally.received,
            lost=lost,
            duplicates=tally.received - len(tally.seen),
            min_s=mqtt.reconnect_min_s,
            max_s=mqtt.reconnect_max_s,
        )
    finally:
        for link in links:
            link.stop()  # an orderly goodbye while the broker is still up
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.gather(*link_tasks, return_exceptions=True)
        for task in link_tasks + others:
            task.cancel()
        await asyncio.gather(*link_tasks, *others, return_exceptions=True)
        if tally is not None:
            tally.stop()
        await broker.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(agent_dir, ignore_errors=True)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        link_log.setLevel(log_level)


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
