"""Which 7x24 monitoring streams to start and stop: the monitor worker's decisions, pure.

A device is *watched* when it is online, sits in one of the monitored site subtrees and has
a camera (an ``av_camera`` peripheral that is not ``offline``). A watched device's stream
``mon-<device>`` is started when it is not live and no start is pending; a start that has
not become live within the grace period is asked again, backing off (doubling up to ten
graces). A stream this worker started (or found live) whose device is no longer watched is
stopped once. The cloud does the I/O (``cloud/media/monitor.py``); this holds no clock but
the ``now`` it is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fleet.access import in_scope
from fleet.peripherals import PeripheralState
from protocols.av import monitor_stream_id
from protocols.messages import Health

CAMERA_KIND = "av_camera"
#: the telemetry of a device's streams (tags: the device's, plus ``stream`` and ``purpose``);
#: ``stream.stalled`` is 1 while the stream is stalled or missing, else 0
STREAM_METRICS = (
    "stream.fps",
    "stream.bitrate_kbps",
    "stream.loss_pct",
    "stream.viewers",
    "stream.stalled",
)
STALLED_METRIC = "stream.stalled"
#: stream purposes (``cloud.media.backend.StreamPurpose``)
STREAM_PURPOSES = ("monitor", "call_kiosk", "call_operator", "other")
#: a start not live after grace × this many doublings is retried no slower than this
MAX_BACKOFF_FACTOR = 10.0


@dataclass(frozen=True, slots=True)
class CameraDevice:
    """A device as the monitor sees it."""

    device_id: str
    site: str
    role: str
    online: bool
    peripherals: tuple[PeripheralState, ...] = ()

    @property
    def camera(self) -> PeripheralState | None:
        return next((p for p in self.peripherals if p.kind == CAMERA_KIND), None)


def watched(device: CameraDevice, sites: Iterable[str]) -> bool:
    """Online, in a monitored subtree, with a camera that is not offline."""
    camera = device.camera
    return (
        device.online
        and camera is not None
        and camera.health is not Health.OFFLINE
        and any(in_scope(s, device.site) for s in sites)
    )


@dataclass(slots=True)
class Pending:
    """A start asked and not yet live: when, and how many times in a row."""

    asked_at: float
    attempts: int


@dataclass(frozen=True, slots=True)
class Plan:
    start: tuple[CameraDevice, ...] = ()
    #: (device id, stream id) of streams to stop
    stop: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class MonitorState:
    """What the worker remembers between passes: streams it owns, starts pending."""

    grace_s: float
    #: stream id → device id of every monitoring stream this worker looks after
    owned: dict[str, str] = field(default_factory=dict)
    pending: dict[str, Pending] = field(default_factory=dict)

    def backoff_s(self, attempts: int) -> float:
        return min(self.grace_s * 2.0 ** max(0, attempts - 1), self.grace_s * MAX_BACKOFF_FACTOR)

    def plan(
        self,
        devices: Iterable[CameraDevice],
        sites: Iterable[str],
        live: Mapping[str, str],
        now: float,
    ) -> Plan:
        """Decide this pass. ``live``: stream id → device id of the device streams live now.

        The state is updated as if the plan is carried out (starts pending, stops forgotten);
        a start the device refused stays pending, so it is retried after the backoff."""
        sites = tuple(sites)
        for stream_id, device_id in live.items():
            if stream_id == monitor_stream_id(device_id):
                self.owned.setdefault(stream_id, device_id)  # adopt (e.g. after a restart)
                self.pending.pop(stream_id, None)
        start: list[CameraDevice] = []
        keep: set[str] = set()
        for d in devices:
            if not watched(d, sites):
                continue
            stream_id = monitor_stream_id(d.device_id)
            keep.add(stream_id)
            self.owned[stream_id] = d.device_id
            if stream_id in live or not self._due(stream_id, now):
                continue
            held = self.pending.get(stream_id)
            self.pending[stream_id] = Pending(now, (held.attempts if held else 0) + 1)
            start.append(d)
        stop = tuple(sorted((dev, sid) for sid, dev in self.owned.items() if sid not in keep))
        for _, stream_id in stop:
            self.owned.pop(stream_id, None)
            self.pending.pop(stream_id, None)
        return Plan(tuple(start), stop)

    def _due(self, stream_id: str, now: float) -> bool:
        held = self.pending.get(stream_id)
        return held is None or now - held.asked_at >= self.backoff_s(held.attempts)

    def missing(self, live: Mapping[str, str], now: float) -> dict[str, str]:
        """Stream id → device id of the watched streams that should be live and are not: a
        first start older than the grace, or any retry."""
        out = {}
        for stream_id, device_id in self.owned.items():
            if stream_id in live:
                continue
            held = self.pending.get(stream_id)
            if held is None or held.attempts > 1 or now - held.asked_at >= self.grace_s:
                out[stream_id] = device_id
        return out
