"""The local clock as the provisioning tools see it, and the check against the cloud's.

A device whose clock is wrong fails in confusing ways later (TLS "certificate not yet valid",
tokens that look expired, jobs with odd times), so ``enroll`` and ``status`` compare the local
clock with the cloud's ``server_time_ms`` and stop with both times and the fix.

``KFLEET_TEST_CLOCK_OFFSET_S`` (TEST ONLY) shifts what this module calls "now" by that many
seconds, so tests can play a device whose clock is wrong without touching the machine's.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

from provisioning.enroll_errors import ClockWrong

#: test-only: seconds added to the local clock as this module reads it
CLOCK_OFFSET_ENV = "KFLEET_TEST_CLOCK_OFFSET_S"
#: more apart than this and the device is told to fix its clock
MAX_SKEW_MS = 5 * 60 * 1000
FIX_CLOCK = (
    "set the clock right: `timedatectl set-ntp true` (and an NTP server the hall's network "
    "can reach, e.g. in /etc/systemd/timesyncd.conf), or `timedatectl set-time "
    "'YYYY-MM-DD HH:MM:SS'`; then run this command again"
)


def local_ms() -> int:
    """Now, in ms since the epoch (shifted by the test-only offset, if set)."""
    offset = float(os.environ.get(CLOCK_OFFSET_ENV) or 0)
    return int((time.time() + offset) * 1000)


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def span(ms: int) -> str:
    """``3 h 0 min``, ``7 min``, ``42 s``: rounded to the minute beyond one."""
    seconds = round(ms / 1000)
    if seconds < 60:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def offset_ms(server_ms: int, local: int | None = None) -> int:
    """How far the local clock is ahead of the cloud's (negative: behind)."""
    return (local_ms() if local is None else local) - server_ms


def check_clock(server_ms: int, local: int | None = None) -> int:
    """The offset (ms), or :class:`ClockWrong` naming both times when beyond the skew."""
    here = local_ms() if local is None else local
    off = here - server_ms
    if abs(off) <= MAX_SKEW_MS:
        return off
    way = "ahead of" if off > 0 else "behind"
    raise ClockWrong(
        f"this device's clock says {iso(here)} but the cloud's says {iso(server_ms)} "
        f"({span(abs(off))} {way}; more than {MAX_SKEW_MS // 60000} min apart breaks "
        f"TLS and token expiry); {FIX_CLOCK}"
    )
