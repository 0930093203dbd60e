"""Silent devices: the worker that marks them and the sign of life that brings them back.

``fleet.liveness`` decides; this module stores. A device that says online but has sent
nothing for ``SILENT_AFTER_PERIODS`` of its heartbeats gets ``devices.silent_since`` and a
``silent`` device event with the reason, once per silence (a conditional UPDATE, so two cloud
processes sweeping together record it once). Every upstream message from the device — of any
kind — touches ``last_seen`` in one statement per batch (:meth:`LivenessWatch.seen`) and, if
the device was silent, clears the mark with an ``online`` event "back after N s of silence".

The cloud cannot hear while its bus is down: quiet time counts only from when it (re)connected
(``listening_since``), so a cloud restart does not mark the whole fleet silent, while a forged
birth still goes silent within three heartbeats of the cloud listening again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.db.models import Device, DeviceEvent, utcnow
from cloud.events import DeviceOnline, EventChannel
from cloud.hub import ChangeHub
from fleet.liveness import Liveness, LivenessView, liveness, silent_after
from protocols.telemetry import SILENT_AFTER_PERIODS

log = logging.getLogger(__name__)

#: ``last_seen`` is written at most once per this fraction of a device's heartbeat ...
SEEN_FRACTION = 0.25
#: ... and at least once a second: a heartbeat lowered by a new birth is learned by the next
#: write, and until then one second stays inside three heartbeats of 0.6 s (issue 17)
SEEN_WINDOW_MAX_S = 1.0
_MAX_REMEMBERED = 200_000


def seen_window(heartbeat_s: float | None) -> float:
    """Seconds within which a device's ``last_seen`` is not written again."""
    period = silent_after(heartbeat_s).total_seconds() / SILENT_AFTER_PERIODS
    return min(SEEN_WINDOW_MAX_S, period * SEEN_FRACTION)


#: When this process started listening to the devices (None: not listening now).
ListeningSince = Callable[[], datetime | None]


class LivenessWatch:
    """Marks silent devices (:meth:`run`) and brings them back on their next message."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        events: EventChannel,
        interval_s: float,
        listening_since: ListeningSince = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._events = events
        #: set by the wiring to the bus's (deaf until then: nobody is marked silent)
        self.listening_since = listening_since
        self._interval_s = interval_s
        #: sweeps done (``/readyz`` and ``/metrics`` show the worker is alive)
        self.sweeps = 0
        self.marked = 0
        self.returned = 0
        #: per device: when this process last wrote its ``last_seen`` (monotonic) and the
        #: window within which it is not written again (:meth:`seen`)
        self._last_written: dict[str, tuple[float, float]] = {}

    # -- the view ----------------------------------------------------------------------------

    def view(self, device: Device, now: datetime) -> LivenessView:
        """What the API shows: the recorded silence, else ``fleet.liveness`` with quiet time
        counted from when this cloud started listening."""
        raw = liveness(device.online, device.last_seen, device.heartbeat_s, now)
        if device.online and device.silent_since is not None:
            if raw.state is Liveness.SILENT:
                return raw
            return LivenessView(Liveness.SILENT, device.silent_since, "no message for too long")
        heard = _heard(device.last_seen, self.listening_since())
        view = liveness(device.online, heard, device.heartbeat_s, now)
        return raw if view.state is raw.state else view

    # -- signs of life -----------------------------------------------------------------------

    async def seen(self, device_ids: Collection[str], now: datetime | None = None) -> int:
        """Record that these devices just sent something; returns how many came back.

        ``last_seen`` is written at most once per :func:`seen_window` per device (issue 17: a
        job's three acks were three transactions): a device written that recently cannot have
        been marked silent since, the window being far inside three of its heartbeats."""
        clock = time.monotonic()
        due = self._due(device_ids, clock)
        if not due:
            return 0
        now = now or utcnow()
        back: list[tuple[str, float]] = []
        async with self._sessions() as s:
            rows = (
                await s.execute(
                    select(
                        Device.id, Device.last_seen, Device.silent_since, Device.heartbeat_s
                    ).where(Device.id.in_(due))
                )
            ).all()
            await s.execute(update(Device).where(Device.id.in_(due)).values(last_seen=now))
            for device_id, last_seen, since, _heartbeat in rows:
                if since is not None and await _clear(s, device_id):
                    quiet = (now - last_seen).total_seconds() if last_seen else 0.0
                    back.append((device_id, quiet))
                    s.add(_back_event(device_id, now, quiet))
            await s.commit()
        self._written({row[0]: row[3] for row in rows}, clock)
        for device_id, quiet in back:
            log.info("device %s is back after %.0f s of silence", device_id, quiet)
            self._hub.publish(f"device:{device_id}", "online")
            self._events.publish(DeviceOnline(device_id, now))
        self.returned += len(back)
        return len(back)

    def _due(self, device_ids: Collection[str], clock: float) -> list[str]:
        """The devices whose ``last_seen`` was not written within their window, sorted."""
        return sorted(
            {
                d
                for d in device_ids
                if (w := self._last_written.get(d)) is None or clock - w[0] >= w[1]
            }
        )

    def _written(self, heartbeats: dict[str, float | None], clock: float) -> None:
        """Remember the write that started at ``clock`` (its ``now`` is ``last_seen``)."""
        if len(self._last_written) > _MAX_REMEMBERED:
            self._last_written.clear()
        for device_id, heartbeat_s in heartbeats.items():
            self._last_written[device_id] = (clock, seen_window(heartbeat_s))

    # -- the sweep ---------------------------------------------------------------------------

    async def run(self) -> None:
        """Sweep every ``interval_s`` until cancelled; a failed sweep is retried next time."""
        while True:
            try:
                await self.sweep()
            except Exception:  # a database hiccup must not end the worker
                log.exception("liveness sweep failed; trying again")
            await asyncio.sleep(self._interval_s)

    async def sweep(self, now: datetime | None = None) -> int:
        """Mark the devices silent now; returns how many were newly marked."""
        now = now or utcnow()
        self.sweeps += 1
        listening = self.listening_since()
        if listening is None:  # deaf now: nobody's quiet can be judged
            return 0
        marked: list[str] = []
        async with self._sessions() as s:
            rows = await _quiet_candidates(s, now, listening)
            for device_id, last_seen, heartbeat_s in rows:
                if last_seen is None:
                    continue
                heard = _heard(last_seen, listening)
                if liveness(True, heard, heartbeat_s, now).state is not Liveness.SILENT:
                    continue
                if await _mark(s, device_id, now, now - silent_after(heartbeat_s)):
                    reason = liveness(True, last_seen, heartbeat_s, now).reason
                    s.add(_silent_event(device_id, now, reason, last_seen, heartbeat_s))
                    marked.append(device_id)
            await s.commit()
        for device_id in marked:
            log.warning("device %s is silent: it says online but sends nothing", device_id)
            self._hub.publish(f"device:{device_id}", "silent")
        self.marked += len(marked)
        return len(marked)


_SWEPT = (Device.online.is_(True), Device.silent_since.is_(None), Device.last_seen.is_not(None))


async def _quiet_candidates(
    s: AsyncSession, now: datetime, listening: datetime
) -> list[tuple[str, datetime, float | None]]:
    """The online devices quiet for longer than their heartbeats allow, read per distinct
    heartbeat with the cutoff in the query: a round reads the few quiet devices, not the
    whole online fleet (10,000 rows every few seconds at issue 17's scale). Nobody can be
    quiet for longer than the cloud has been listening, so a recent ``listening`` reads
    nothing."""
    beats = (await s.scalars(select(Device.heartbeat_s).where(*_SWEPT).distinct())).all()
    found: list[tuple[str, datetime, float | None]] = []
    for beat in beats:
        cutoff = now - silent_after(beat)
        if listening >= cutoff:
            continue
        same = Device.heartbeat_s.is_(None) if beat is None else Device.heartbeat_s == beat
        stmt = select(Device.id, Device.last_seen, Device.heartbeat_s).where(
            *_SWEPT, same, Device.last_seen < cutoff
        )
        found.extend((i, seen, hb) for i, seen, hb in (await s.execute(stmt)).all() if seen)
    return found


def _heard(last_seen: datetime | None, listening: datetime | None) -> datetime | None:
    if last_seen is None or listening is None:
        return last_seen
    return max(last_seen, listening)


async def _mark(s: AsyncSession, device_id: str, now: datetime, cutoff: datetime) -> bool:
    """Set ``silent_since`` unless the device spoke or was marked meanwhile."""
    result = await s.execute(
        update(Device)
        .where(
            Device.id == device_id,
            Device.online.is_(True),
            Device.silent_since.is_(None),
            Device.last_seen < cutoff,
        )
        .values(silent_since=now)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def _clear(s: AsyncSession, device_id: str) -> bool:
    result = await s.execute(
        update(Device)
        .where(Device.id == device_id, Device.silent_since.is_not(None))
        .values(silent_since=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def _silent_event(
    device_id: str, now: datetime, reason: str, last_seen: datetime, heartbeat_s: float | None
) -> DeviceEvent:
    return DeviceEvent(
        device_id=device_id,
        at=now,
        kind="silent",
        reason=reason[:1024],
        data={"last_seen": last_seen.isoformat(), "heartbeat_s": heartbeat_s},
    )


def _back_event(device_id: str, now: datetime, quiet_s: float) -> DeviceEvent:
    return DeviceEvent(
        device_id=device_id,
        at=now,
        kind="online",
        reason=f"back after {quiet_s:.0f} s of silence",
        data={"silent_s": round(quiet_s, 3)},
    )
