"""The hall benchmark's load: tickets taken over REST, windows calling, and a screen's-eye view
of the broker (every ``live`` body that reaches a subscriber of ``kf/v1/site/#``)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

import aiomqtt
import httpx

from cloud.hall.seed import GENERAL, HallSpec, WindowSpec
from protocols.envelope import MsgType, decode
from protocols.hall import LiveBody
from protocols.mqtt_url import parse_mqtt_url

SITES = ("qh/hx/golmud/hhl", "qh/hx/golmud/tgls", "qh/hx/golmud/bayi")
#: the benchmark's windows: 10 per pilot site, numbered 21..30, all calling the general queue
BENCH_WINDOWS = tuple(str(n) for n in range(21, 31))


def bench_halls() -> tuple[HallSpec, ...]:
    return tuple(
        HallSpec(
            site,
            (GENERAL,),
            tuple(WindowSpec(n, f"基准窗口{n}", "", ("general",)) for n in BENCH_WINDOWS),
        )
        for site in SITES
    )


@dataclass
class Seen:
    """When each (site, window, ticket) was first seen called in a ``live`` body (monotonic)."""

    calls: dict[tuple[str, str, str], float] = field(default_factory=dict)
    bodies: int = 0
    ready: asyncio.Event = field(default_factory=asyncio.Event)


async def watch_live(broker: str, seen: Seen) -> None:
    ep = parse_mqtt_url(broker)
    async with aiomqtt.Client(ep.host, ep.port, identifier="bench-hall-screen") as c:
        await c.subscribe("kf/v1/site/#", qos=1)
        seen.ready.set()
        async for msg in c.messages:
            now = time.monotonic()
            env = decode(bytes(msg.payload), MsgType.CONTENT)
            if not isinstance(env.body, LiveBody):
                continue
            seen.bodies += 1
            for call in env.body.calls:
                seen.calls.setdefault((env.body.site, call.window, call.ticket), now)


async def take_tickets(
    http: httpx.AsyncClient, per_site: int, concurrency: int = 8
) -> tuple[int, float]:
    """Take ``per_site`` tickets at each site; returns (taken, seconds)."""
    sem = asyncio.Semaphore(concurrency)
    taken = 0

    async def one(site: str) -> None:
        nonlocal taken
        async with sem:
            r = await http.post(
                "/api/v1/hall/tickets",
                params={"site": site},
                json={"service": "residence", "source": "console"},
            )
            r.raise_for_status()
            taken += 1

    t0 = time.monotonic()
    await asyncio.gather(*(one(site) for site in SITES for _ in range(per_site)))
    return taken, time.monotonic() - t0


async def open_windows(http: httpx.AsyncClient) -> None:
    for site in SITES:
        for n in BENCH_WINDOWS:
            r = await http.post(
                f"/api/v1/hall/windows/{n}/status", params={"site": site}, json={"status": "open"}
            )
            r.raise_for_status()


@dataclass
class Called:
    """(site, window, ticket) → monotonic time just before its call-next was sent."""

    sent: dict[tuple[str, str, str], float] = field(default_factory=dict)
    empty: int = 0


async def window_loop(
    http: httpx.AsyncClient,
    site: str,
    number: str,
    until: float,
    every_s: tuple[float, float],
    called: Called,
    rng: random.Random,
) -> None:
    base = f"/api/v1/hall/windows/{number}"
    while time.monotonic() < until:
        await asyncio.sleep(rng.uniform(*every_s))  # the staff's pace, not a synchronisation
        t0 = time.monotonic()
        r = await http.post(f"{base}/call-next", params={"site": site})
        if r.status_code == 204:
            called.empty += 1
            continue
        r.raise_for_status()
        called.sent[(site, number, r.json()["ticket_no"])] = t0
        for op in ("start", "complete"):
            (await http.post(f"{base}/{op}", params={"site": site}, json={})).raise_for_status()


def latencies_ms(called: Called, seen: Seen) -> tuple[list[float], int]:
    """Call-next → live body on the broker, per call; and how many calls were never seen."""
    out, missing = [], 0
    for key, t0 in called.sent.items():
        t1 = seen.calls.get(key)
        if t1 is None:
            missing += 1
        else:
            out.append((t1 - t0) * 1000)
    return out, missing
