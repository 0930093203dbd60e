"""The benchmark's VictoriaMetrics: started on a free port with its own storage, and asked at
the end how many points it holds (what counts is what landed, not what was sent)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

from kfleet.world.net import free_port, wait_port


def start_vm(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """VictoriaMetrics as the tests run it (dedup 1 ms: a retried write is not counted twice),
    with room for the benchmark's ~200k series; returns the process and its http URL."""
    binary = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
    if not Path(binary).exists():
        sys.exit("victoria-metrics is not installed: apt-get install victoria-metrics")
    port = free_port()
    args = [
        binary,
        f"-httpListenAddr=127.0.0.1:{port}",
        f"-storageDataPath={tmp / 'vm'}",
        "-retentionPeriod=100y",
        "-dedup.minScrapeInterval=1ms",
        "-search.latencyOffset=0s",
        "-search.disableCache",
        "-search.maxUniqueTimeseries=5000000",
        "-search.maxSamplesPerQuery=2000000000",
        "-loggerLevel=ERROR",
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    wait_port("127.0.0.1", port, timeout=30)
    return proc, f"http://127.0.0.1:{port}"


def _get(url: str, timeout: float = 300) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        data: bytes = r.read()
        return data


def count_points(http: str, site_root: str, start_ms: int, end_ms: int, flush: bool = True) -> int:
    """Points stored under ``site_l1=site_root`` with timestamps in ``[start_ms, end_ms]``
    (``flush``: make VictoriaMetrics' last second of writes searchable first)."""
    if flush:
        _get(f"{http}/internal/force_flush")
    window_s = (end_ms - start_ms) // 1000 + 2
    expr = f'sum(count_over_time({{site_l1="{site_root}"}}[{window_s}s]))'
    query = urllib.parse.urlencode(
        {"query": expr, "time": f"{(end_ms + 1000) / 1000:.3f}", "nocache": "1"}
    )
    body = json.loads(_get(f"{http}/api/v1/query?{query}"))
    result = body["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def count_series(http: str, site_root: str) -> int:
    query = urllib.parse.urlencode({"match[]": f'{{site_l1="{site_root}"}}'})
    body = json.loads(_get(f"{http}/api/v1/series/count?{query}"))
    return int(body["data"][0]) if isinstance(body.get("data"), list) else 0
