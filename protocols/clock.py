"""Estimate a peer's wall-clock offset from the envelopes it sends (pure, no I/O).

Both sides use it: the cloud on every device message (``cloud.clocks``), the agent on the
cloud's commands (``clock.offset_ms`` in its telemetry). Below, "device" is the sender and
"cloud" the receiver. Every envelope carries the sender's wall clock ``ts`` and monotonic
clock ``mono``; the receiver notes when it received it. For each message
``received - ts = offset + delay`` with ``delay >= 0``, so the *smallest* apparent offset
seen recently bounds the true offset best (the NTP minimum-delay filter): the estimate is
never below the true offset and exceeds it by exactly the smallest one-way delay in the
window.

A device whose wall clock is stepped (NTP sync after boot, an operator fixing the time) makes
the old samples wrong. ``ts - mono`` is constant while the wall clock runs freely, so a change
of it beyond ``jump_ms`` between two samples means a step (or a reboot, which resets
``mono``): the window starts afresh.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

#: Samples older than this (device monotonic time) leave the window, so drift is followed.
DEFAULT_WINDOW_MS = 10 * 60 * 1000
#: A change of ``ts - mono`` beyond this between two samples is a wall-clock step.
DEFAULT_JUMP_MS = 1000
#: Safety bound on the candidates kept per device (the min-queue is usually far shorter).
MAX_CANDIDATES = 256


@dataclass(frozen=True, slots=True)
class _Candidate:
    offset: int  # received - ts, ms
    mono: int  # device monotonic ms, for expiry


class OffsetEstimator:
    """Minimum-delay offset filter over a sliding window of one device's messages.

    The window is a monotonic min-queue: a sample is dropped as soon as a newer one has an
    offset at least as small, since it can never be the minimum again.
    """

    def __init__(self, window_ms: int = DEFAULT_WINDOW_MS, jump_ms: int = DEFAULT_JUMP_MS) -> None:
        self.window_ms = window_ms
        self.jump_ms = jump_ms
        self.samples = 0
        """Samples since the last reset."""
        self.resets = 0
        """Wall-clock steps (or reboots) detected so far."""
        self._queue: deque[_Candidate] = deque(maxlen=MAX_CANDIDATES)
        self._base: int | None = None  # ts - mono of the latest sample
        self._newest_mono = 0

    def add(self, ts: int, mono: int, received: int) -> bool:
        """Take one sample (device wall ms, device monotonic ms, cloud wall ms at receipt).

        Returns True when it revealed a wall-clock step and the window was reset.
        """
        base = ts - mono
        reset = self._base is not None and abs(base - self._base) > self.jump_ms
        if reset:
            self._queue.clear()
            self.samples = 0
            self.resets += 1
            self._newest_mono = mono
        self._base = base
        self._newest_mono = max(self._newest_mono, mono)
        offset = received - ts
        queue = self._queue
        while queue and queue[-1].offset >= offset:
            queue.pop()
        queue.append(_Candidate(offset, mono))
        cutoff = self._newest_mono - self.window_ms
        while queue and queue[0].mono < cutoff:  # a late, reordered sample may be too old
            queue.popleft()
        self.samples += 1
        return reset

    @property
    def offset_ms(self) -> int | None:
        """Cloud minus device clock, ms (negative: the device runs ahead); None before data."""
        return self._queue[0].offset if self._queue else None

    def correct(self, ts: int) -> int:
        """A device wall-clock time on the cloud's clock (unchanged while nothing is known)."""
        offset = self.offset_ms
        return ts if offset is None else ts + offset
