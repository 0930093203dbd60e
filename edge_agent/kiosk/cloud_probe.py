"""Whether the kiosk can reach the cloud now, for the screen's network banner.

The fleet link (MQTT) and the kiosk-service API are different roads: the broker may answer
while the cloud's API is down. The screen polls ``/kiosk/api/status`` every 10 s; this probe
asks the cloud's public ``/healthz`` at most once per ``ttl_s`` (bounded by ``timeout_s``) so
that polling screens never multiply the calls, and remembers the answer.
"""

from __future__ import annotations

import asyncio
import time

from edge_agent.kiosk.cloud_client import CloudUnreachable, KioskCloud

TTL_S = 5.0
TIMEOUT_S = 2.0


class CloudProbe:
    """``await probe.reachable()`` → True when the cloud's API answered lately."""

    def __init__(
        self, cloud: KioskCloud, ttl_s: float = TTL_S, timeout_s: float = TIMEOUT_S
    ) -> None:
        self.cloud = cloud
        self.ttl_s = ttl_s
        self.timeout_s = timeout_s
        self._at = -float("inf")
        self._ok = False
        self._lock = asyncio.Lock()

    def mark_down(self) -> None:
        """A relayed call found no cloud: say so at the next status poll, without asking."""
        self._ok, self._at = False, time.monotonic()

    async def reachable(self) -> bool:
        async with self._lock:
            if time.monotonic() - self._at < self.ttl_s:
                return self._ok
            try:
                r = await self.cloud.call("GET", "/healthz", timeout_s=self.timeout_s)
            except CloudUnreachable:
                self._ok = False
            else:
                self._ok = r.status_code < 500
            self._at = time.monotonic()
            return self._ok
