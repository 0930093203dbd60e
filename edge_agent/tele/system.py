"""The machine's own gauges, read from ``/proc``, ``/sys/class/thermal`` and ``statvfs``.

Kiosks run Linux, so the files are read directly (no psutil). Each gauge has its own reader:
one that fails (a file missing, unreadable or garbled in a container or an odd kernel) leaves
its metric out of the sample, counts an error (``errors``) and logs once until it works
again; it never stops the others or the telemetry loop. A gauge the OS does not give (no
thermal zone) is simply absent, never a made-up 0.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from protocols.telemetry import SysMetric

log = logging.getLogger(__name__)

#: thermal zone readings outside this range (°C) are sensor garbage, not temperatures
TEMP_RANGE_C = (-40.0, 150.0)


class SystemSampler:
    """``sample()`` → ``{SysMetric: value}`` for the gauges that could be read."""

    def __init__(
        self,
        data_dir: Path,
        *,
        proc: Path = Path("/proc"),
        thermal: Path = Path("/sys/class/thermal"),
    ) -> None:
        self.data_dir = data_dir
        self.proc = proc
        self.thermal = thermal
        self.errors: Counter[str] = Counter()
        """Failed reads by metric name, since start."""
        self._failing: set[str] = set()
        self._cpu_last = self._cpu_times_or_none()
        self._readers: dict[SysMetric, Callable[[], float | None]] = {
            SysMetric.CPU_PCT: self._cpu_pct,
            SysMetric.MEM_PCT: self._mem_pct,
            SysMetric.DISK_PCT: self._disk_pct,
            SysMetric.DISK_FREE_MB: self._disk_free_mb,
            SysMetric.TEMP_C: self._temp_c,
            SysMetric.LOAD1: self._load1,
            SysMetric.HOST_UPTIME_S: self._host_uptime_s,
        }

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def sample(self) -> dict[str, float]:
        """Every gauge that could be read now (finite numbers only)."""
        out: dict[str, float] = {}
        for name, read in self._readers.items():
            try:
                value = read()
                if value is not None and not math.isfinite(value):
                    raise ValueError(f"not a finite number: {value!r}")
            except (OSError, ValueError, IndexError, ZeroDivisionError) as err:
                self._failed(name, err)
                continue
            if name in self._failing:
                self._failing.discard(name)
                log.info("telemetry: %s can be read again", name.value)
            if value is not None:
                out[name.value] = value
        return out

    def _failed(self, name: SysMetric, err: Exception) -> None:
        self.errors[name.value] += 1
        if name not in self._failing:
            self._failing.add(name)
            log.warning("telemetry: cannot read %s (%s); it is left out until it can", name, err)

    # --- readers ----------------------------------------------------------------------------

    def _cpu_times(self) -> tuple[int, int]:
        """(busy, total) jiffies since boot, from the ``cpu`` line of /proc/stat."""
        first = (self.proc / "stat").read_text().splitlines()[0].split()
        if first[0] != "cpu" or len(first) < 5:
            raise ValueError(f"unexpected first line of /proc/stat: {' '.join(first)[:80]!r}")
        ticks = [int(v) for v in first[1:]]
        idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
        total = sum(ticks[:8])  # guest time is already counted in user/nice
        return total - idle, total

    def _cpu_times_or_none(self) -> tuple[int, int] | None:
        try:
            return self._cpu_times()
        except (OSError, ValueError, IndexError):
            return None  # the first sample then counts the error

    def _cpu_pct(self) -> float | None:
        """Whole-machine busy share since the previous sample (None on the very first)."""
        now = self._cpu_times()
        last, self._cpu_last = self._cpu_last, now
        if last is None or now[1] <= last[1]:
            return None
        return 100.0 * max(0, now[0] - last[0]) / (now[1] - last[1])

    def _mem_pct(self) -> float:
        info: dict[str, int] = {}
        for line in (self.proc / "meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            if rest.strip():
                info[key] = int(rest.split()[0])
        total = info.get("MemTotal", 0)
        if total <= 0:
            raise ValueError("/proc/meminfo has no MemTotal")
        avail = info.get("MemAvailable")
        if avail is None:  # kernels before 3.14
            avail = info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0)
        return 100.0 * (total - avail) / total

    def _disk_pct(self) -> float:
        st = os.statvfs(self.data_dir)
        used = (st.f_blocks - st.f_bfree) * st.f_frsize
        usable = used + st.f_bavail * st.f_frsize  # what non-root users can fill (as df)
        return 100.0 * used / usable

    def _disk_free_mb(self) -> float:
        st = os.statvfs(self.data_dir)
        return st.f_bavail * st.f_frsize / 2**20

    def _temp_c(self) -> float | None:
        """The hottest thermal zone; None where the OS has none (a VM, a container)."""
        if not self.thermal.is_dir():
            return None
        readings: list[float] = []
        for zone in sorted(self.thermal.glob("thermal_zone*")):
            try:
                celsius = int((zone / "temp").read_text().strip()) / 1000.0
            except (OSError, ValueError):
                continue  # some zones refuse reads (e.g. a sensor that is switched off)
            if celsius != 0 and TEMP_RANGE_C[0] < celsius <= TEMP_RANGE_C[1]:
                readings.append(celsius)
        return max(readings) if readings else None

    def _load1(self) -> float:
        return float((self.proc / "loadavg").read_text().split()[0])

    def _host_uptime_s(self) -> float:
        return float((self.proc / "uptime").read_text().split()[0])
