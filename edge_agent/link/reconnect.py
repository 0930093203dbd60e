"""Reconnecting: the durable birth-death sequence number and the backoff between attempts."""

from __future__ import annotations

import os
import random
from pathlib import Path


def next_bd_seq(data_dir: Path) -> int:
    """Increment and durably store the birth-death sequence number; returns the new value."""
    path = data_dir / "bd_seq"
    try:
        current = int(path.read_text().strip())
    except (OSError, ValueError):
        current = -1
    value = current + 1
    data_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name("bd_seq.tmp")
    with open(tmp, "w") as fh:
        fh.write(f"{value}\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return value


#: The smallest reconnect window as a fraction of the cap (5 s with the default 30 s cap): a
#: fleet that loses its broker at once comes back at about N / 5 s connects per second rather
#: than N / 0.5 s, however short the outage (benchmarks/reconnect_storm.py).
MIN_WINDOW_OF_CAP = 1 / 6


def backoff_window(attempt: int, base: float, cap: float) -> float:
    """How far ahead retry ``attempt`` may land: exponential from ``base``, floored, capped."""
    return min(cap, max(cap * MIN_WINDOW_OF_CAP, base * 2.0 ** min(attempt, 30)))


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, window]. Attempt 0 follows a lost session, so even the
    first retry is spread over the whole minimum window."""
    return random.uniform(0, backoff_window(attempt, base, cap))
