"""The swarm: thousands of light devices (``kfleet.world.swarm_device``) in one asyncio process.

Why light devices and not the real agent links: the real ``MqttLink`` is an aiomqtt client
(paho's state machine, a reader task, a publisher task and a SQLite outbox per device), about
100 kB and a dozen wake-ups per message; the reconnect storm runs 1,000 of them in one process
at most. Ten thousand on a 2-core machine that also runs the broker and the cloud need one
``asyncio.Protocol`` per socket and nothing else. Each device still speaks the agent's whole
wire contract (births, wills, bd_seq, state, telemetry, acks, content subscriptions), built
from ``protocols`` models, so the cloud and the broker do exactly the work real agents cause.

``kfleet sim swarm`` runs one from the command line and takes orders on stdin (one per line):
``drop`` (every connection breaks at once, the broker fires every will, every device reconnects
at once with its next ``bd_seq``), ``stats`` (a JSON line of counters), ``stop``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence

from edge_agent.link.reconnect import backoff_delay
from kfleet.world.swarm_device import DeviceSpec, SwarmDevice
from protocols.mqtt_url import parse_mqtt_url

log = logging.getLogger(__name__)

#: connections opened at once (a listen backlog of Mosquitto is 100 by default per accept
#: round; more in flight only makes SYNs wait)
CONNECTING_AT_ONCE = 200
CONNACK_TIMEOUT_S = 30.0
RECONNECT_MIN_S, RECONNECT_MAX_S = 0.5, 30.0


def specs_for(
    agents: int, prefix: str, sites: Sequence[str], tele_interval_s: float = 30.0
) -> list[DeviceSpec]:
    """``<prefix>-00001`` …, spread round-robin over ``sites``."""
    return [
        DeviceSpec(
            f"{prefix}-{i:05d}", sites[(i - 1) % len(sites)], tele_interval_s=tele_interval_s
        )
        for i in range(1, agents + 1)
    ]


class Swarm:
    """Keeps one connection per device spec alive; :meth:`drop` breaks them all at once."""

    def __init__(self, broker_url: str, specs: list[DeviceSpec], *, first_bd_seq: int) -> None:
        endpoint = parse_mqtt_url(broker_url)
        self.host, self.port = endpoint.host, endpoint.port
        self.specs = specs
        self.bd_seq = first_bd_seq
        self.counters: Counter[str] = Counter()
        self.devices: list[SwarmDevice | None] = [None] * len(specs)
        self._gate = asyncio.Semaphore(CONNECTING_AT_ONCE)
        self._stopping = False
        self._planned = False  # a drop we ordered: no backoff, the drop reconnects itself
        self._tasks: set[asyncio.Task[None]] = set()
        self._ticker: asyncio.Task[None] | None = None

    @property
    def connected(self) -> int:
        return sum(1 for d in self.devices if d is not None and d.transport is not None)

    async def start(self) -> float:
        """Connect every device; seconds until every CONNACK came."""
        t0 = time.monotonic()
        await asyncio.gather(*(self._connect(i) for i in range(len(self.specs))))
        self._ticker = asyncio.create_task(self._tick(), name="swarm-ticker")
        return time.monotonic() - t0

    async def drop(self) -> float:
        """Every connection breaks at once; all reconnect with ``bd_seq`` one higher.
        Seconds from the break until every device has its CONNACK again."""
        self._planned = True
        live = [d for d in self.devices if d is not None]
        t0 = time.monotonic()
        for device in live:
            device.abort()
        await asyncio.gather(*(d.closed for d in live))
        self.bd_seq += 1
        self._planned = False
        await asyncio.gather(*(self._connect(i) for i in range(len(self.specs))))
        return time.monotonic() - t0

    async def stop(self) -> None:
        """Orderly: every device says offline and disconnects."""
        self._stopping = True
        if self._ticker is not None:
            self._ticker.cancel()
        for task in list(self._tasks):
            task.cancel()
        live = [d for d in self.devices if d is not None and d.transport is not None]
        for device in live:
            device.disconnect()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await asyncio.gather(*(d.closed for d in live))

    async def _connect(self, i: int) -> None:
        """Until device ``i`` has a CONNACK (retrying with the agent's full-jitter backoff)."""
        attempt = 0
        loop = asyncio.get_running_loop()
        while not self._stopping:
            spec = self.specs[i]
            device = SwarmDevice(spec, self.bd_seq, self.counters)
            try:
                async with self._gate, asyncio.timeout(CONNACK_TIMEOUT_S):
                    await loop.create_connection(_factory(device), self.host, self.port)
                    await device.connack
            except (OSError, TimeoutError) as err:
                self.counters["connect_failures"] += 1
                device.abort()
                log.info("%s: connect failed (%s); retrying", spec.device_id, err)
                await asyncio.sleep(backoff_delay(attempt, RECONNECT_MIN_S, RECONNECT_MAX_S))
                attempt += 1
                continue
            self.counters["connacks"] += 1
            self.devices[i] = device
            device.closed.add_done_callback(functools.partial(self._lost, i, device))
            return

    def _lost(self, i: int, device: SwarmDevice, _closed: object = None) -> None:
        """A connection we did not mean to break: reconnect after the backoff."""
        if self._stopping or self._planned or self.devices[i] is not device:
            return
        self.counters["unplanned_losses"] += 1
        task = asyncio.create_task(self._reconnect(i), name=f"swarm-reconnect-{i}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reconnect(self, i: int) -> None:
        await asyncio.sleep(backoff_delay(0, RECONNECT_MIN_S, RECONNECT_MAX_S))
        await self._connect(i)

    async def _tick(self) -> None:
        """Once a second: the devices whose telemetry is due (spread evenly over the period),
        and a PINGREQ from any device that has been quiet for half its keepalive."""
        second = 0
        while True:
            await asyncio.sleep(1.0 - (time.monotonic() % 1.0))
            now = time.monotonic()
            for i, device in enumerate(self.devices):
                if device is None or device.transport is None:
                    continue
                period = max(1, round(device.spec.tele_interval_s))
                if i % period == second % period:
                    device.send_telemetry()
                elif now - device.last_sent > device.spec.keepalive_s / 2:
                    device.ping()
            second += 1


def _factory(device: SwarmDevice) -> Callable[[], SwarmDevice]:
    return lambda: device


async def serve(swarm: Swarm) -> None:
    """Start the swarm, then obey stdin (``drop``, ``stats``, ``stop``) until EOF or stop."""
    took = await swarm.start()
    _say(f"ready {swarm.connected} {took:.3f} {swarm.bd_seq}")
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while line := (await reader.readline()).decode().strip():
            if line == "drop":
                took = await swarm.drop()
                _say(f"reconnected {swarm.connected} {took:.3f} {swarm.bd_seq}")
            elif line == "stats":
                _say(
                    "stats "
                    + json.dumps(
                        {"connected": swarm.connected, **swarm.counters}, separators=(",", ":")
                    )
                )
            elif line == "stop":
                break
            else:
                _say(f"unknown {line}")
    finally:
        await swarm.stop()


def _say(line: str) -> None:
    print(line, flush=True)
