"""What the live link tells about time: the broker round trip and the cloud's clock.

``link.rtt_ms`` is the fastest QoS 1 publish → PUBACK round trip since the last sample: every
message the outbox sends is timed, and the minimum filters out the time a message waited
behind others, leaving the path's own latency. No publish in the period → no value.

``clock.offset_ms`` (this device's clock minus the cloud's) comes from the same
minimum-delay filter the cloud runs on our messages (:mod:`protocols.clock`), run here on the
cloud's commands: each one carries the cloud's ``ts`` and ``mono``. The estimate exceeds the
true offset by the smallest one-way delay seen (milliseconds on a live link). It is unknown
until the cloud has sent a command, and starts afresh when our own wall clock is stepped.
"""

from __future__ import annotations

import time

from protocols.clock import DEFAULT_JUMP_MS, OffsetEstimator
from protocols.envelope import mono_ms, wall_ms


class RoundTrips:
    """Round trips recorded by the link, taken (and forgotten) once per sample."""

    def __init__(self) -> None:
        self._best: float | None = None
        self.count = 0

    def timer(self) -> float:
        return time.perf_counter()

    def record(self, started: float) -> None:
        """One publish, started at ``timer()``, has its PUBACK now."""
        ms = (time.perf_counter() - started) * 1000.0
        self.count += 1
        if self._best is None or ms < self._best:
            self._best = ms

    def take(self) -> float | None:
        """The fastest round trip (ms) since the previous call; None if nothing was sent."""
        best, self._best = self._best, None
        return best


class CloudClock:
    """This device's clock minus the cloud's, from the cloud's envelopes."""

    def __init__(self) -> None:
        self._estimator = OffsetEstimator()
        self._own_base: int | None = None  # our wall - mono: moves when our clock is stepped

    def observe(self, cloud_ts: int, cloud_mono: int, received_ms: int | None = None) -> None:
        """One envelope from the cloud, received now (or at ``received_ms``)."""
        received = wall_ms() if received_ms is None else received_ms
        base = received - mono_ms()
        if self._own_base is not None and abs(base - self._own_base) > DEFAULT_JUMP_MS:
            self._estimator = OffsetEstimator()  # our clock was stepped: old samples are wrong
        self._own_base = base
        self._estimator.add(cloud_ts, cloud_mono, received)

    @property
    def offset_ms(self) -> int | None:
        """Device minus cloud clock, ms (positive: this device runs ahead); None until known."""
        return self._estimator.offset_ms
