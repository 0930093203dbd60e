"""Per-device clock offsets, in memory, fed by every upstream envelope but births and states
(retained, so often old; ``cloud.ingest``).

Offsets live in the process that receives the device's messages; they are rebuilt within a
few messages after a restart, so they are not stored. A device counts as skewed once
:data:`MIN_SAMPLES` messages agree that its clock is off by more than the configured threshold
(the first messages after a cloud restart are often old retained ones, whose apparent offset
includes the time they sat on the broker).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db import devices as device_repo
from cloud.db.models import DeviceEvent
from cloud.hub import ChangeHub
from fleet.clock import OffsetEstimator

log = logging.getLogger(__name__)

#: Messages since the last reset before an offset is reported or a skew flagged.
MIN_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class SkewChange:
    """The skew flag of a device changed (for a log line and a device event)."""

    device_id: str
    skewed: bool
    offset_ms: int


class DeviceClocks:
    """One :class:`OffsetEstimator` per device, plus the skew flag and its transitions."""

    def __init__(self, warn_ms: int) -> None:
        self.warn_ms = warn_ms
        self._clocks: dict[str, OffsetEstimator] = {}
        self._skewed: set[str] = set()

    def observe(self, device_id: str, ts: int, mono: int, received_ms: int) -> SkewChange | None:
        """Feed one envelope's clocks; returns the change of the skew flag, if any."""
        clock = self._clocks.get(device_id)
        if clock is None:
            clock = self._clocks[device_id] = OffsetEstimator()
        if clock.add(ts, mono, received_ms):
            log.info("device %s: its wall clock was stepped; re-estimating its offset", device_id)
        offset = self.offset_ms(device_id)
        if offset is None:
            return None
        skewed = abs(offset) > self.warn_ms
        if skewed == (device_id in self._skewed):
            return None
        if skewed:
            self._skewed.add(device_id)
            log.warning(
                "device %s: its clock is %d ms %s the cloud's (threshold %d ms)",
                device_id,
                abs(offset),
                "ahead of" if offset < 0 else "behind",
                self.warn_ms,
            )
        else:
            self._skewed.discard(device_id)
            log.info("device %s: its clock is back within %d ms", device_id, self.warn_ms)
        return SkewChange(device_id, skewed, offset)

    def offset_ms(self, device_id: str) -> int | None:
        """Cloud minus device clock (negative: the device is ahead); None until known."""
        clock = self._clocks.get(device_id)
        if clock is None or clock.samples < MIN_SAMPLES:
            return None
        return clock.offset_ms

    def skewed(self, device_id: str) -> bool:
        return device_id in self._skewed

    def corrected(self, device_id: str, ts: int) -> datetime:
        """A device timestamp (wall ms) on the cloud's clock.

        Uses the estimate even before :data:`MIN_SAMPLES`: the sample of the message itself is
        in the window, so the result is never later than when the cloud received it.
        """
        clock = self._clocks.get(device_id)
        ms = ts if clock is None else clock.correct(ts)
        return datetime.fromtimestamp(ms / 1000, UTC)


async def record_skew_change(
    sessions: async_sessionmaker[AsyncSession], hub: ChangeHub, change: SkewChange, warn_ms: int
) -> None:
    """Leave the change in the device's event history (an operator's alert) and notify."""
    offset = change.offset_ms
    if change.skewed:
        way = "ahead of" if offset < 0 else "behind"
        reason = f"clock {abs(offset)} ms {way} the cloud's (threshold {warn_ms} ms)"
    else:
        reason = f"clock within {warn_ms} ms of the cloud's again"
    async with sessions() as s:
        if await device_repo.get(s, change.device_id) is None:
            return  # not registered yet: the flag is still visible once it is
        s.add(
            DeviceEvent(
                device_id=change.device_id,
                kind="clock_skewed" if change.skewed else "clock_ok",
                reason=reason,
                data={"offset_ms": offset},
            )
        )
        await s.commit()
    hub.publish(f"device:{change.device_id}", "clock")
