"""Presence convergence after a cloud worker is SIGKILLed under load (issue 17).

Runs the fault case ``tests/faults/test_workers_kill.py`` (three cloud workers on one
PostgreSQL and a real Mosquitto, four kiosks taking receipt jobs, 24 telemetry devices; one
worker SIGKILLed mid-flow, six devices leaving and six arriving right after, the worker
restarted) ``--runs`` times and tabulates the figure the case prints: how long after the
presence changes (and after the kill) both surviving workers showed every device right,
and whether the killed worker was back by then. Each run's pass/fail is the case's own
verdict (no job lost, none done twice). The load average is printed with each run: the
machine's two cores are shared.

    KFLEET_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/postgres \\
        python -m benchmarks.workers_kill --runs 3

Target (issue 17): presence correct within 5 s of the kill.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASE = "tests/faults/test_workers_kill.py"
_FIGURE = re.compile(
    r"presence settled ([\d.]+) s after the changes \(([\d.]+) s after the kill\); "
    r"the killed worker (back|still starting|still down)"
)
#: issue 17: presence correct within this many seconds of the kill (the case prints the
#: figure and no longer fails on it: a loaded machine stretches it)
BOUND_S = 5.0


def one_run(log: Path) -> tuple[str, str, str, str, float]:
    """(after the changes, after the kill, killed worker, verdict, wall seconds); the case's
    output goes to ``log``."""
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-n", "0", "-s", CASE]
    started = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=1800, check=False)
    log.write_text(done.stdout + done.stderr, encoding="utf-8")
    found = _FIGURE.search(done.stdout)
    verdict = "passed" if done.returncode == 0 else f"FAILED (rc {done.returncode})"
    if found is None:
        return "-", "-", "-", verdict, time.monotonic() - started
    after_changes, after_kill, back = found.groups()
    if float(after_kill) > BOUND_S:
        verdict += f", over the {BOUND_S:g} s bound"
    return after_changes, after_kill, back, verdict, time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--log-dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    if not os.environ.get("KFLEET_TEST_DATABASE_URL"):
        sys.exit("set KFLEET_TEST_DATABASE_URL to a PostgreSQL server (docs/benchmarks.md)")
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores (shared)")
    print("run | settled after changes s | after kill s | killed worker | case | load 1/5/15")
    for n in range(1, args.runs + 1):
        load = "/".join(f"{x:.1f}" for x in os.getloadavg())
        log = args.log_dir / f"workers_kill-{n}.log"
        changes, kill, back, verdict, wall = one_run(log)
        print(f"{n} | {changes} | {kill} | {back} | {verdict} ({wall:.0f} s) | {load}", flush=True)
    print(f"each run's output: {args.log_dir}/workers_kill-N.log")


if __name__ == "__main__":
    main()
