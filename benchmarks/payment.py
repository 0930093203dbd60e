"""Payment round trip through the simulated Alipay gateway: what a citizen's payment costs the
channel, end to end, with real signatures on every leg.

The gateway runs as its own process (``kfleet sim alipay``); this process is the cloud's side
(our :class:`AlipayChannel` and a notify endpoint that verifies each notification as the cloud's
``POST /api/v1/pay/notify/alipay`` does) and the citizen's phone (httpx). One payment:

    precreate (signed request, verified answer) → the phone opens the QR page and confirms →
    the gateway's signed notification arrives and verifies → query says paid

Its latency runs from just before precreate to the paid query. Prints p50/p95/p99/max of the
round trip and of its legs (precreate alone: what the citizen waits for the QR; confirm →
verified notification), and the CPU each side spent per payment.

    python -m benchmarks.payment --payments 300 --concurrency 4

Target (issue 15): round trip p99 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx
from aiohttp import web

from benchmarks import _servers
from cloud.kiosk.pay.alipay import AlipayChannel
from cloud.kiosk.pay.alipay_sign import load_private_key, load_public_key
from cloud.kiosk.pay.channel import ChannelOrder, ForgedNotification


@dataclass
class Notified:
    """Verified notifications by order number, each waking whoever waits for it."""

    channel: AlipayChannel
    events: dict[str, asyncio.Event] = field(default_factory=dict)
    refused: int = 0

    def expect(self, out_trade_no: str) -> asyncio.Event:
        return self.events.setdefault(out_trade_no, asyncio.Event())

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            note = self.channel.verify_notify(body, request.content_type, dict(request.headers))
        except ForgedNotification:
            self.refused += 1
            status, media, reply = self.channel.notify_reply(False)
        else:
            if note.status.state == "paid":
                self.expect(note.status.out_trade_no).set()
            status, media, reply = self.channel.notify_reply(True)
        return web.Response(status=status, body=reply, content_type=media)


@dataclass
class Timings:
    total: list[float] = field(default_factory=list)
    precreate: list[float] = field(default_factory=list)
    notify: list[float] = field(default_factory=list)
    failed: int = 0


async def one_payment(
    n: int, channel: AlipayChannel, phone: httpx.AsyncClient, inbox: Notified, url: str, t: Timings
) -> None:
    number = f"BENCH{n:08d}"
    arrived = inbox.expect(number)
    t0 = time.perf_counter()
    made = await channel.precreate(ChannelOrder(number, 100 + n % 9000, "基准 水费", url, 300))
    t1 = time.perf_counter()
    await phone.get(made.qr_content)
    t2 = time.perf_counter()
    await phone.post(made.qr_content, data={"action": "confirm"})
    async with asyncio.timeout(30):
        await arrived.wait()
    t3 = time.perf_counter()
    if (await channel.query(number)).state != "paid":
        t.failed += 1
        return
    t.total.append(time.perf_counter() - t0)
    t.precreate.append(t1 - t0)
    t.notify.append(t3 - t2)


def start_gateway() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kfleet", "sim", "alipay", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    env: dict[str, str] = {}
    while "ALIPAY_PUBLIC_KEY" not in env:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the gateway simulator ended before printing its settings")
        if found := re.match(r"^KFLEET_(ALIPAY_[A-Z_]+)=(\S+)$", line.strip()):
            env[found[1]] = found[2]
    return proc, env


async def notify_endpoint(inbox: Notified) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/api/v1/pay/notify/alipay", inbox.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/api/v1/pay/notify/alipay"


def own_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


async def run(payments: int, concurrency: int, warmup: int) -> None:
    proc, env = start_gateway()
    channel = AlipayChannel(
        env["ALIPAY_GATEWAY_URL"],
        env["ALIPAY_APP_ID"],
        load_private_key(env["ALIPAY_APP_PRIVATE_KEY"]),
        load_public_key(env["ALIPAY_PUBLIC_KEY"]),
        5.0,
    )
    inbox = Notified(channel)
    runner, url = await notify_endpoint(inbox)
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=10) as phone:
            await pay_all(range(warmup), concurrency, channel, phone, inbox, url, Timings())
            t = Timings()
            cpu_sim, cpu_own, wall = _servers.cpu_seconds(proc.pid), own_cpu(), time.perf_counter()
            first = warmup
            await pay_all(
                range(first, first + payments), concurrency, channel, phone, inbox, url, t
            )
            wall = time.perf_counter() - wall
            cpu_sim = _servers.cpu_seconds(proc.pid) - cpu_sim
            cpu_own = own_cpu() - cpu_own
    finally:
        await channel.aclose()
        await runner.cleanup()
        _servers.stop(proc)
    report(t, payments, concurrency, wall, {"cloud side + phone": cpu_own, "gateway": cpu_sim})
    print(f"refused notifications {inbox.refused}")


async def pay_all(
    numbers: range,
    concurrency: int,
    channel: AlipayChannel,
    phone: httpx.AsyncClient,
    inbox: Notified,
    url: str,
    t: Timings,
) -> None:
    queue = iter(numbers)

    async def worker() -> None:
        for n in queue:
            await one_payment(n, channel, phone, inbox, url, t)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def _q(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def report(t: Timings, payments: int, conc: int, wall: float, cpu: dict[str, float]) -> None:
    print(f"machine            {platform.machine()} {platform.python_version()} (shared, loaded)")
    print(f"payments           {len(t.total)} paid of {payments}, {t.failed} failed")
    print(f"concurrency        {conc} citizens paying at once")
    print(f"throughput         {len(t.total) / wall:.1f} payments/s over {wall:.1f} s")
    for name, values in (
        ("round trip", t.total),
        ("precreate", t.precreate),
        ("confirm→notify", t.notify),
    ):
        if values:
            p50 = statistics.median(values) * 1000
            print(
                f"{name:<18} p50 {p50:.1f} ms, p95 {_q(values, 0.95):.1f}, "
                f"p99 {_q(values, 0.99):.1f}, max {max(values) * 1000:.1f}"
            )
    done = max(1, len(t.total))
    print("cpu ms per payment " + ", ".join(f"{k} {v / done * 1000:.2f}" for k, v in cpu.items()))
    print("target             round trip p99 ≤ 1000 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--payments", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=4, help="citizens paying at once")
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.payments, args.concurrency, args.warmup))


if __name__ == "__main__":
    main()
