"""A stand-in for ``parts.media`` (the relay engineer's ``MediaService``) with the shapes of
the contract: what the monitor worker asked, and the streams it reports live."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from cloud.media.backend import StreamHealth, StreamInfo, StreamPurpose
from cloud.telemetry.model import Point


class Refused(Exception):
    """The device could not be asked (offline, the call refused)."""


@dataclass
class StandInMedia:
    started: list[tuple[str, str, str, str]] = field(default_factory=list)
    stopped: list[tuple[str, str]] = field(default_factory=list)
    live: dict[str, StreamHealth] = field(default_factory=dict)
    refuse: bool = False

    async def start_device_stream(
        self, device_id: str, stream_id: str, purpose: StreamPurpose, site_path: str
    ) -> str:
        self.started.append((device_id, stream_id, purpose, site_path))
        if self.refuse:
            raise Refused(f"{device_id} is offline")
        return f"call-{len(self.started)}"

    async def stop_device_stream(self, device_id: str, stream_id: str) -> None:
        self.stopped.append((device_id, stream_id))
        self.live.pop(stream_id, None)

    def health(self) -> list[StreamHealth]:
        return list(self.live.values())

    def go_live(
        self,
        stream_id: str,
        device_id: str,
        site: str,
        *,
        state: str = "live",
        fps: float = 15.0,
        viewers: int = 1,
        purpose: StreamPurpose = "monitor",
    ) -> None:
        self.live[stream_id] = StreamHealth(
            StreamInfo(stream_id, purpose, device_id, site),
            "stalled" if state == "stalled" else "live",
            datetime.now(UTC),
            fps,
            850.0,
            0.5,
            datetime.now(UTC),
            viewers,
            True,
            True,
        )


@dataclass
class Sink:
    points: list[Point] = field(default_factory=list)

    def enqueue(self, points: Sequence[Point]) -> int:
        self.points.extend(points)
        return 0
