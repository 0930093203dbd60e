"""Peripheral health: probed at start, every ``health_interval_s``, after every job, and at
once when a peripheral says its health may have changed (a serial port that closed). A change
is announced as a ``peripheral_health`` event; a probe that hangs or raises is ``unknown`` or
``offline``, never a crash."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable, Mapping

from edge_agent.drivers.interface import HealthWatched, Peripheral
from protocols.messages import EventBody, EventKind, Health

log = logging.getLogger(__name__)

#: a health check that takes longer than this counts as ``unknown``
HEALTH_TIMEOUT_S = 15.0

Publish = Callable[[EventBody], Awaitable[object]]


class HealthMonitor:
    """``health[pid]`` = (health, reason) of every peripheral, kept up to date."""

    def __init__(self, peripherals: Mapping[str, Peripheral], publish: Publish) -> None:
        self.peripherals = peripherals
        self._publish = publish
        self.health: dict[str, tuple[Health, str]] = {
            pid: (Health.UNKNOWN, "not probed yet") for pid in peripherals
        }
        self._dirty: set[str] = set()  # peripherals whose health may have changed
        self._wake = asyncio.Event()
        for pid, p in peripherals.items():
            if isinstance(p, HealthWatched):
                p.on_health_change(functools.partial(self._hint, pid))

    async def probe_all(self, *, announce: bool) -> None:
        pids = list(self.peripherals)
        healths = await asyncio.gather(*(self._health_of(self.peripherals[p]) for p in pids))
        for pid, health in zip(pids, healths, strict=True):
            await self._set(pid, health, announce=announce)

    async def check(self, pid: str) -> None:
        """Probe one peripheral now and announce a change (after a job: paper out?)."""
        await self._set(pid, await self._health_of(self.peripherals[pid]), announce=True)

    async def every(self, interval_s: float) -> None:
        """Probe (and announce) all peripherals every ``interval_s``, until cancelled."""
        while True:
            await asyncio.sleep(interval_s)  # a period, not synchronisation
            await self.probe_all(announce=True)

    async def watch(self) -> None:
        """Re-check the peripherals that said their health may have changed."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            pids, self._dirty = self._dirty, set()
            for pid in sorted(pids):
                await self.check(pid)

    def _hint(self, pid: str) -> None:
        self._dirty.add(pid)
        self._wake.set()

    async def _health_of(self, p: Peripheral) -> tuple[Health, str]:
        """``p.health()``, bounded; a driver that raises anyway is ``offline``, not a crash."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_S):
                health, reason = await p.health()
        except TimeoutError:
            return Health.UNKNOWN, f"health check took longer than {HEALTH_TIMEOUT_S:g} s"
        except Exception as err:
            log.exception("peripheral %s: health check failed", p.id)
            return Health.OFFLINE, f"health check failed: {err!r}"[:1024]
        return health, reason[:1024]

    async def _set(self, pid: str, health: tuple[Health, str], *, announce: bool) -> None:
        if self.health.get(pid) == health:
            return
        log.info("peripheral %s: %s %s", pid, health[0].value, health[1])
        self.health[pid] = health
        if announce:
            await self._publish(
                EventBody(
                    kind=EventKind.PERIPHERAL_HEALTH,
                    peripheral=pid,
                    health=health[0],
                    reason=health[1],
                )
            )
