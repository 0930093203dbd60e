"""Media plane figures (issue 16): the relay's CPU per relayed stream and per extra viewer,
glass-to-glass latency on loopback, and how many pilot streams one cloud process carries.

Three kinds of process on 127.0.0.1 (``benchmarks/_media_peers.py``): the relay under test
(the cloud's ``AiortcRelay`` when ``cloud/media/relay.py`` is in the build, else a
self-contained aiortc stand-in that decodes and re-encodes: ``--backend``), publishers of the
synthetic camera and microphone (640 × 480 @ 15 fps VP8 + Opus, like the agent) and viewers
that decode every frame and read the timestamp strip the simulator drew
(``simulators/av_stamp.py``): latency = the viewer's clock when the frame is decoded − the
camera's clock when it was drawn (one host, one clock). The relay's CPU is read from its own
process (user + system) over each window.

Phases: one stream with 0, 1 and 1 + ``--extra`` viewers (CPU per stream and per extra
viewer); then ``--capacity`` streams with one viewer each (CPU per stream at that load, and
the streams one core would carry at 80 % busy, extrapolated from it). Publishers and viewers
run on the same machine and compete with the relay for its cores: say so with the figures.

    python -m benchmarks.media [--backend relay|standin] [--seconds 12] [--extra 3]
        [--capacity 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

import httpx

from kfleet.world.net import free_port, wait_port

WARM_S = 4.0
CORE_BUDGET = 0.8


@dataclass
class Window:
    label: str
    relay_cpu_pct: float
    viewers: int
    streams: int


def _peer(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "benchmarks._media_peers", *args],
        stdout=subprocess.PIPE,
        text=True,
    )


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads), from /proc."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_pct(pid: int, seconds: float) -> float:
    """The process's CPU over ``seconds`` as % of one core."""
    before, t0 = _cpu_s(pid), time.monotonic()
    time.sleep(seconds)  # the measuring window itself
    after, t1 = _cpu_s(pid), time.monotonic()
    return 100.0 * (after - before) / (t1 - t0)


def _wait_live(url: str, ids: list[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = {h["info"]["stream_id"] for h in httpx.get(f"{url}/health", timeout=5).json()}
        if live >= set(ids):
            return
        time.sleep(0.2)  # polling the relay's health until the publishers are in
    raise SystemExit(f"streams {sorted(set(ids) - live)} did not become live in {timeout:g} s")


def _collect(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    out = []
    for p in procs:
        stdout, _ = p.communicate(timeout=120)
        if p.returncode != 0:
            raise SystemExit(f"a peer process failed (exit {p.returncode})")
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def one_stream(url: str, relay: int, seconds: float, extra: int) -> dict[str, Any]:
    """0 → 1 → 1 + extra viewers of one stream: the relay's CPU of each window; latency from
    the lone viewer (the least loaded machine) and from the crowd, apart."""
    total = WARM_S * 3 + seconds * 3 + 15
    pub = _peer("publish", "--url", url, "--streams", "s0", "--seconds", str(total))
    _wait_live(url, ["s0"])
    time.sleep(WARM_S)  # the encoder and the relay settle
    windows = [Window("1 stream, 0 viewers", _cpu_pct(relay, seconds), 0, 1)]
    lone = _peer("view", "--url", url, "--streams", "s0", "--seconds", str(WARM_S + seconds))
    time.sleep(WARM_S)
    windows.append(Window("1 stream, 1 viewer", _cpu_pct(relay, seconds), 1, 1))
    [alone] = _collect([lone])
    crowd = _peer("view", "--url", url, "--streams", "s0", "--per-stream", str(1 + extra),
                  "--seconds", str(WARM_S + seconds))  # fmt: skip
    time.sleep(WARM_S)
    windows.append(Window(f"1 stream, {1 + extra} viewers", _cpu_pct(relay, seconds), 1 + extra, 1))
    views = _collect([crowd])
    _collect([pub])
    return {"windows": windows, "alone": alone, "views": views}


def capacity(url: str, relay: int, seconds: float, n: int) -> dict[str, Any]:
    names = [f"c{i}" for i in range(n)]
    ids = ",".join(names)
    total = WARM_S * 2 + seconds + 10
    before = _cpu_pct(relay, 1.0)
    pub = _peer("publish", "--url", url, "--streams", ids, "--seconds", str(total))
    _wait_live(url, names)
    view = _peer("view", "--url", url, "--streams", ids, "--seconds", str(total - 6))
    time.sleep(WARM_S * 1.5)
    cpu = _cpu_pct(relay, seconds)
    health = [
        h for h in httpx.get(f"{url}/health", timeout=5).json() if h["info"]["stream_id"] in names
    ]
    views = _collect([view])
    _collect([pub])
    return {"streams": n, "relay_cpu_pct": cpu, "idle_cpu_pct": before, "views": views,
            "health": health}  # fmt: skip


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def report(backend: str, one: dict[str, Any], cap: dict[str, Any], seconds: float) -> None:
    w = one["windows"]
    lone = one["alone"]["latency_ms"]
    lat = [x for v in one["views"] for x in v["latency_ms"]]
    frames = [v["frames"] for v in [one["alone"], *one["views"]]]
    per_stream = w[0].relay_cpu_pct
    per_viewer = (w[2].relay_cpu_pct - w[1].relay_cpu_pct) / max(1, w[2].viewers - 1)
    load = os.getloadavg()
    print(f"media relay benchmark — backend {backend}, {os.cpu_count()} cores, load average "
          f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end (the machine is shared and "
          "loaded; publishers and viewers run on it too)")  # fmt: skip
    print(f"windows of {seconds:g} s; 640x480 @ 15 fps VP8 + Opus tone publishers")
    for x in w:
        print(f"  {x.label:<24} relay CPU {x.relay_cpu_pct:6.1f} % of a core")
    print(f"  CPU per relayed stream (no viewer)  {per_stream:6.1f} % of a core")
    print(f"  CPU of the first viewer             {w[1].relay_cpu_pct - per_stream:6.1f} %")
    print(f"  CPU per extra viewer                {per_viewer:6.1f} %   (target ≤ 5 %)")
    for what, xs in (("1 viewer", lone), (f"{w[2].viewers} viewers", lat)):
        print(f"  glass-to-glass, {what}, {len(xs)} frames: p50 {_pct(xs, 0.5):.0f} ms, "
              f"p95 {_pct(xs, 0.95):.0f} ms, max {max(xs, default=float('nan')):.0f} ms "
              "(target p95 ≤ 300 ms)")  # fmt: skip
    print(f"  frames decoded by the viewers {sum(f['total'] for f in frames)}, strip "
          f"unreadable {sum(f['unreadable'] for f in frames)} (after each viewer's first 3 s: "
          f"{sum(f['unreadable_after_3s'] for f in frames)})")  # fmt: skip
    n = cap["streams"]
    cap_lat = [x for v in cap["views"] for x in v["latency_ms"]]
    got = sum(v["frames"]["total"] for v in cap["views"])
    each = (cap["relay_cpu_pct"] - cap["idle_cpu_pct"]) / n
    print(f"  {n} streams × 1 viewer: relay CPU {cap['relay_cpu_pct']:.1f} % "
          f"({each:.1f} % per stream with its viewer), p95 {_pct(cap_lat, 0.95):.0f} ms, "
          f"{got} frames decoded")  # fmt: skip
    if each > 0:
        print(f"  one core at {CORE_BUDGET:.0%} carries ~{int(CORE_BUDGET * 100 / each)} such "
              "streams (extrapolated from this load, not measured up to it)")  # fmt: skip
    print(f"  passthrough: {sorted({h.get('passthrough') for h in cap['health']})}")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="benchmarks.media", description=__doc__.split("\n")[0])
    default = "relay" if find_spec("cloud.media.relay") else "standin"
    p.add_argument("--backend", choices=["relay", "standin"], default=default)
    p.add_argument("--seconds", type=float, default=12.0)
    p.add_argument("--extra", type=int, default=3)
    p.add_argument("--capacity", type=int, default=3)
    a = p.parse_args(argv)
    port = free_port()
    relay_proc = _peer("relay", "--port", str(port), "--backend", a.backend)
    try:
        wait_port("127.0.0.1", port, timeout=30)
        url = f"http://127.0.0.1:{port}"
        relay = relay_proc.pid
        one = one_stream(url, relay, a.seconds, a.extra)
        cap = capacity(url, relay, a.seconds, a.capacity)
        report(a.backend, one, cap, a.seconds)
    finally:
        relay_proc.terminate()
        relay_proc.wait(timeout=30)


if __name__ == "__main__":
    main()
