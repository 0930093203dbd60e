"""The kiosk's offline guide search over a large catalogue: index build time, and per query the
work ``GET /kiosk/api/guide/search`` does (search, rank, shape the first 50 rows, JSON), wall
and CPU time.

    python -m benchmarks.kiosk_guide_search [--items 5000] [--rounds 30]

The catalogue is the kiosk benchmark's (``benchmarks/_kiosk_catalogue.py``: names built the
way the provincial catalogue builds them, object + matter + act, so they share most of their
characters), the searches its ``searches()`` (parts of real names, words, pinyin, initials,
misses) plus a fixed mix with filters, several words and the empty query. Target: p95 ≤ 50 ms
at 5,000 items.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

from benchmarks._kiosk_catalogue import catalogue as big_catalogue
from benchmarks._kiosk_catalogue import searches
from edge_agent.kiosk.guide_index import build_index, count_and_search
from edge_agent.kiosk.guide_views import search_row

FIXED: list[tuple[str, dict[str, str]]] = [
    ("gjj", {}),
    ("yanglao", {}),
    ("养老 申领", {}),
    ("nc", {"department": "agri"}),
    ("", {"object": "person"}),
    ("", {}),
    ("", {"theme": "old"}),
    ("补贴", {"object": "legal_person"}),
]


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    catalogue = big_catalogue(args.items)
    queries = FIXED + [(q, {}) for q in searches(catalogue, 40)]
    w0, c0 = time.perf_counter(), time.process_time()
    index = build_index(catalogue)
    build_wall, build_cpu = time.perf_counter() - w0, time.process_time() - c0
    walls: list[float] = []
    cpus: list[float] = []
    hits_seen = []
    for _ in range(args.rounds):
        for q, filters in queries:
            w, c = time.perf_counter(), time.process_time()
            total, hits = count_and_search(index, q, site="qh/hhl", limit=50, **filters)
            json.dumps({"total": total, "items": [search_row(index, h) for h in hits]})
            walls.append((time.perf_counter() - w) * 1000)
            cpus.append((time.process_time() - c) * 1000)
            hits_seen.append(total)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"machine: {platform.machine()}, python {platform.python_version()}, load {load}")
    print(f"items {args.items}: index built in {build_wall:.2f} s wall, {build_cpu:.2f} s CPU")
    print(
        f"{len(walls)} queries ({len(queries)} kinds × {args.rounds}), hits per query median "
        f"{statistics.median(hits_seen):.0f}, max {max(hits_seen)}"
    )
    print(
        f"wall ms p50 {pct(walls, 50):.2f}  p95 {pct(walls, 95):.2f}  p99 {pct(walls, 99):.2f}  "
        f"max {max(walls):.2f}"
    )
    print(f"CPU ms per query: mean {statistics.fmean(cpus):.2f}, p95 {pct(cpus, 95):.2f}")
    print("target p95 ≤ 50 ms:", "met" if pct(walls, 95) <= 50 else "NOT met")


if __name__ == "__main__":
    main()
