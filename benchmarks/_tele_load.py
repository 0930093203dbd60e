"""The load of the end-to-end run: simulated devices' births and ``tele`` batches published
to Mosquitto (QoS 1, as the agent's outbox sends them), and a watcher that sees when sampled
devices' batches become visible in VictoriaMetrics (the ingest lag).

A batch is ``metrics`` points named ``peripheral.c0`` … (a driver counter name the cloud's
validator accepts), all stamped with the moment the batch is published. Its JSON is built
once per device and only the timestamp and id change, so the loader costs little next to
what it measures.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.parse
from dataclasses import dataclass, field

import aiohttp
import aiomqtt

from protocols.envelope import MsgType, Sender, encode
from protocols.messages import BirthBody, Role, Versions
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import DeviceChannel, device_topic

CLIENTS = 4
#: publishes each client has waiting for their PUBACK at once
IN_FLIGHT = 16


def device_ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}-k{i:05d}" for i in range(n)]


def tele_template(device: str, metrics: int) -> str:
    """The envelope of one batch with ``@TS@``/``@ID@``/``@SEQ@`` left to fill in."""
    body = ",".join(
        f'{{"name":"peripheral.c{i}","value":{i % 97},"ts":@TS@}}' for i in range(metrics)
    )
    return (
        f'{{"v":1,"id":"@ID@","src":"{device}","seq":@SEQ@,"ts":@TS@,"mono":@SEQ@,'
        f'"type":"{MsgType.TELE.value}","body":{{"metrics":[{body}]}}}}'
    )


def fill(template: str, ts: int, seq: int, device: str) -> bytes:
    return (
        template.replace("@TS@", str(ts))
        .replace("@SEQ@", str(seq))
        .replace("@ID@", f"{device}-{seq}")
        .encode()
    )


async def publish_births(broker: str, devices: list[str], sites: list[str]) -> None:
    ep = parse_mqtt_url(broker)
    async with aiomqtt.Client(ep.host, ep.port, identifier="bench-births") as c:
        for i, dev in enumerate(devices):
            body = BirthBody(
                device_id=dev,
                role=Role.KIOSK,
                site=sites[i % len(sites)],
                bd_seq=0,
                versions=Versions(agent="bench", protocol=1),
                tele_interval_s=10,
            )
            env = Sender(dev).envelope(MsgType.BIRTH, body)
            await c.publish(device_topic(dev, DeviceChannel.BIRTH), encode(env), qos=1)


@dataclass
class Load:
    """What the loader sent; ``sent_at[device]`` = batch timestamps of the sampled devices."""

    points: int = 0
    messages: int = 0
    first_ms: int = 0
    last_ms: int = 0
    sent_at: dict[str, list[int]] = field(default_factory=dict)
    #: batches stamped within this long of the first publish are left out of the lags
    #: (the cloud's warm-up: the first batch of every device, devices back from silence)
    warmup_ms: int = 0


async def _client_loop(
    broker: str, k: int, devices: list[str], metrics: int, interval: float, until: float, load: Load
) -> None:
    ep = parse_mqtt_url(broker)
    mine = devices[k::CLIENTS]
    templates = {d: tele_template(d, metrics) for d in mine}
    # publishes overlap (up to IN_FLIGHT per client): one at a time, each waiting for its
    # PUBACK, the schedule slipped behind at ~40 messages/s whatever the cloud could take
    in_flight = asyncio.Semaphore(IN_FLIGHT)

    async def publish(topic: str, payload: bytes) -> None:
        try:
            await c.publish(topic, payload, qos=1)
        finally:
            in_flight.release()

    async with (
        aiomqtt.Client(
            ep.host, ep.port, identifier=f"bench-load-{k}", max_inflight_messages=IN_FLIGHT
        ) as c,
        asyncio.TaskGroup() as tasks,
    ):
        seq, start = 0, time.monotonic()
        while time.monotonic() < until:
            seq += 1
            for j, dev in enumerate(mine):  # spread over the interval, as real devices are
                due = start + (seq - 1) * interval + interval * j / len(mine)
                if due > until:
                    return
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                ts = int(time.time() * 1000)
                await in_flight.acquire()
                topic = device_topic(dev, DeviceChannel.TELE)
                tasks.create_task(publish(topic, fill(templates[dev], ts, seq, dev)))
                load.points += metrics
                load.messages += 1
                load.first_ms = load.first_ms or ts
                load.last_ms = max(load.last_ms, ts)
                if dev in load.sent_at:
                    load.sent_at[dev].append(ts)


async def run_load(
    broker: str, devices: list[str], metrics: int, interval: float, seconds: float, load: Load
) -> None:
    """Publish for ``seconds``; ``load`` fills in as it goes (the lag watcher reads it)."""
    until = time.monotonic() + seconds
    await asyncio.gather(
        *(_client_loop(broker, k, devices, metrics, interval, until, load) for k in range(CLIENTS))
    )


async def watch_lag(
    http: str, load: Load, stop: asyncio.Event, every_s: float = 0.2
) -> list[tuple[int, int]]:
    """Poll VictoriaMetrics for the sampled devices' newest stored point; a batch's lag is when
    it was first seen minus its timestamp (resolution ``every_s``). Returns (the batch's
    timestamp, its lag) pairs, so the lags can be told apart by when in the run they were."""
    devices = "|".join(load.sent_at)
    expr = f'tlast_over_time({{__name__="peripheral.c0_value",device=~"{devices}"}}[1h])'
    lags: list[tuple[int, int]] = []
    seen: dict[str, int] = {}
    async with aiohttp.ClientSession() as http_session:
        while not stop.is_set():
            now = int(time.time() * 1000)
            params = {"query": expr, "time": f"{now / 1000:.3f}", "nocache": "1"}
            url = f"{http}/api/v1/query?{urllib.parse.urlencode(params)}"
            async with http_session.get(url) as resp:
                body = json.loads(await resp.text())
            for item in body["data"]["result"]:
                dev, stored = item["metric"]["device"], round(float(item["value"][1]) * 1000)
                for ts in load.sent_at.get(dev, []):
                    if seen.get(dev, 0) < ts <= stored and ts >= load.first_ms + load.warmup_ms:
                        lags.append((ts, now - ts))
                seen[dev] = max(seen.get(dev, 0), stored)
            await asyncio.sleep(every_s)
    return lags
