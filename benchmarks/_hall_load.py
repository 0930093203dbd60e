"""The hall benchmark's load and measurement: windows calling next every few seconds (then
start and complete), tickets taken at the same pace, and a subscriber on each site's retained
``live`` topic noting when each call first shows in a LiveBody."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

import aiomqtt
import httpx

from protocols.envelope import MsgType, decode
from protocols.hall import LiveBody
from protocols.mqtt_url import parse_mqtt_url
from protocols.topics import parse_site_topic, site_topic


@dataclass
class Seen:
    """Calls seen on the broker, and calls made waiting for theirs."""

    #: (site, ticket, window) → when a LiveBody listing it first arrived
    first: dict[tuple[str, str, str], float] = field(default_factory=dict)
    #: (site, ticket, window) → when its call-next was sent
    sent: dict[tuple[str, str, str], float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    bodies: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    tickets: Counter[str] = field(default_factory=Counter)
    measuring: bool = False

    def match(self, key: tuple[str, str, str]) -> None:
        if key in self.first and key in self.sent:
            sent = self.sent.pop(key)
            if self.measuring:
                self.latencies.append(self.first[key] - sent)


async def watch(broker: str, sites: list[str], seen: Seen, ready: asyncio.Event) -> None:
    ep = parse_mqtt_url(broker)
    async with aiomqtt.Client(ep.host, ep.port, identifier="hall-bench-watch") as c:
        for site in sites:
            await c.subscribe(site_topic(site, "live"), qos=1)
        ready.set()
        async for msg in c.messages:
            now = time.perf_counter()
            parsed = parse_site_topic(msg.topic.value)
            if parsed is None or not isinstance(msg.payload, bytes) or not msg.payload:
                continue
            body = decode(msg.payload, MsgType.CONTENT).body
            if not isinstance(body, LiveBody):
                continue
            seen.bodies += 1
            for call in body.calls:
                key = (body.site, call.ticket, call.window)
                if key not in seen.first:
                    seen.first[key] = now
                    seen.match(key)


async def window_loop(
    http: httpx.AsyncClient, site: str, number: str, every_s: float, until: float, seen: Seen
) -> None:
    rng = random.Random(hash((site, number)))
    await asyncio.sleep(rng.uniform(0, every_s))
    base = f"/api/v1/hall/windows/{number}"
    while time.perf_counter() < until:
        t0 = time.perf_counter()
        r = await http.post(f"{base}/call-next", params={"site": site})
        if r.status_code == 200:
            key = (site, r.json()["ticket_no"], number)
            seen.sent[key] = t0
            seen.match(key)
            await http.post(f"{base}/start", params={"site": site})
            await http.post(f"{base}/complete", params={"site": site})
        seen.outcomes[str(r.status_code)] += 1
        await asyncio.sleep(max(0.0, every_s * rng.uniform(0.8, 1.2) - (time.perf_counter() - t0)))


async def ticket_loop(
    http: httpx.AsyncClient, site: str, per_s: float, until: float, seen: Seen
) -> None:
    """Open loop: a ticket every 1/per_s seconds, whatever the answers take."""
    tasks: set[asyncio.Task[None]] = set()

    async def one() -> None:
        r = await http.post("/api/v1/hall/tickets", params={"site": site}, json={"service": "s-a"})
        seen.tickets[str(r.status_code)] += 1

    start = time.perf_counter()
    n = 0
    while (now := time.perf_counter()) < until:
        due = start + n / per_s
        if due > now:
            await asyncio.sleep(due - now)
        t = asyncio.create_task(one())
        tasks.add(t)
        t.add_done_callback(tasks.discard)
        n += 1
    if tasks:
        await asyncio.gather(*tasks)


async def configure(http: httpx.AsyncClient, site: str, windows: int, backlog: int) -> None:
    for code, prefix in (("a", "A"), ("b", "B")):
        r = await http.post(
            "/api/v1/hall/queues",
            params={"site": site},
            json={"code": code, "name_zh": f"{code}类", "prefix": prefix},
        )
        r.raise_for_status()
        await http.post(
            "/api/v1/hall/services",
            params={"site": site},
            json={"code": f"s-{code}", "name_zh": "事项", "queue": code},
        )
    for n in range(1, windows + 1):
        r = await http.post(
            "/api/v1/hall/windows",
            params={"site": site},
            json={"number": str(n), "queue_codes": ["a", "b"]},
        )
        r.raise_for_status()
        await http.post(
            f"/api/v1/hall/windows/{n}/status", params={"site": site}, json={"status": "open"}
        )
    for _ in range(backlog):
        await http.post("/api/v1/hall/tickets", params={"site": site}, json={"service": "s-b"})


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
