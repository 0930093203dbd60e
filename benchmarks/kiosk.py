"""The kiosk's figures (issue 14), one part at a time or all:

- ``search``: the agent's offline guide search over 5,000 items (target p95 ≤ 50 ms) —
  ``benchmarks/kiosk_guide_search.py``, run as its own process;
- ``screens``: each kiosk screen ready (target ≤ 1 s) — ``benchmarks/_kiosk_screens.py``;
- ``api``: the kiosk-service API under 200 concurrent kiosks, locust headless (targets:
  average ≤ 300 ms, p95 ≤ 1 s) — ``benchmarks/_kiosk_api.py`` (needs ``pip install locust``).

    python -m benchmarks.kiosk --part all [--kiosks 200] [--seconds 60] [--rounds 5]
        [--database-url postgresql+psycopg://...]

Prints one JSON document. Latency on a shared 2-core machine swings between runs: the CPU per
unit of work is printed next to every time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import sys
from datetime import date
from typing import Any


def _search(items: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.kiosk_guide_search", "--items", str(items)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out[out.index("{") :])
    return result


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", choices=["search", "screens", "api", "all"], default="all")
    p.add_argument("--items", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--kiosks", type=int, default=200)
    p.add_argument("--seconds", type=int, default=60)
    p.add_argument("--database-url", default=None)
    args = p.parse_args(argv)
    result: dict[str, Any] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()} {platform.python_version()}",
    }
    if args.part in ("search", "all"):
        result["search"] = _search(args.items)
    if args.part in ("screens", "all"):
        from benchmarks._kiosk_screens import measure_screens

        result["screens"] = asyncio.run(measure_screens(args.rounds, None))
    if args.part in ("api", "all"):
        from benchmarks._kiosk_api import measure_api

        result["api"] = asyncio.run(measure_api(args.kiosks, args.seconds, args.database_url))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


if __name__ == "__main__":
    main()
