"""One recording on disk: a stream's encoded VP8 and Opus frames muxed into WebM as they came,
with no decoding or encoding (the relay's passthrough frames go to the file unchanged).

Runs on the recorder's own thread (file I/O never on the event loop). The file starts at the
first video key frame — VP8 only decodes from one — whose header also gives the picture's
size; audio before it is dropped. Each kind's RTP clock starts at a random value, so both are
placed on one timeline by the wall-clock time their first frame arrived: lip sync within a
frame or two, which is what a record of a help call needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

_RATE = {"video": 90000, "audio": 48000}


def vp8_size(payload: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 key frame's header (RFC 6386 § 9.1), None if it is not
    a key frame or is too short to say."""
    if len(payload) < 10 or payload[0] & 0x01 or payload[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(payload[6:8], "little") & 0x3FFF
    height = int.from_bytes(payload[8:10], "little") & 0x3FFF
    return (width, height) if width and height else None


@dataclass(frozen=True, slots=True)
class Frame:
    """One encoded frame as the relay hands it over."""

    kind: str  # "video" | "audio"
    payload: bytes
    #: its RTP timestamp (rebased by the relay: continuous across publisher sessions)
    timestamp: int
    #: ``time.monotonic()`` when it reached the relay
    arrived: float


class WebmFile:
    """Muxes frames into ``path``; raises ``OSError`` (disk full, gone) from :meth:`write`."""

    def __init__(self, path: Path, with_audio: bool) -> None:
        self.path = path
        self._with_audio = with_audio
        self._out: Any = None
        self._streams: dict[str, Any] = {}
        #: per kind: (first RTP timestamp, its offset on the common timeline in the kind's clock)
        self._origin: dict[str, tuple[int, int]] = {}
        self._t0: float | None = None
        self._last_pts: dict[str, int] = {}
        self.frames = {"video": 0, "audio": 0}
        self.bytes_in = 0

    @property
    def started(self) -> bool:
        return self._out is not None

    def write(self, frame: Frame) -> None:
        if self._out is None:
            size = vp8_size(frame.payload) if frame.kind == "video" else None
            if size is None:
                return  # nothing decodes before the first key frame
            self._open(*size)
            self._t0 = frame.arrived
        stream = self._streams.get(frame.kind)
        if stream is None:
            return
        pts = self._pts(frame)
        if pts <= self._last_pts.get(frame.kind, -1):
            return  # a frame out of order or repeated: WebM wants rising timestamps
        self._last_pts[frame.kind] = pts
        packet = av.Packet(frame.payload)
        packet.pts = packet.dts = pts
        packet.time_base = Fraction(1, _RATE[frame.kind])
        packet.stream = stream
        if frame.kind == "video":
            packet.is_keyframe = vp8_size(frame.payload) is not None
        self._out.mux(packet)
        self.frames[frame.kind] += 1
        self.bytes_in += len(frame.payload)

    def _pts(self, frame: Frame) -> int:
        origin = self._origin.get(frame.kind)
        if origin is None:
            assert self._t0 is not None
            offset = max(0, round((frame.arrived - self._t0) * _RATE[frame.kind]))
            origin = self._origin[frame.kind] = (frame.timestamp, offset)
        first, offset = origin
        return (frame.timestamp - first) % 2**32 + offset

    def _open(self, width: int, height: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        out = av.open(str(self.path), "w", format="webm")
        try:
            video = out.add_stream("libvpx", rate=15)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            self._streams["video"] = video
            if self._with_audio:
                audio = out.add_stream("libopus", rate=48000)
                audio.layout = "stereo"
                self._streams["audio"] = audio
        except Exception:
            out.close()
            raise
        self._out = out

    def close(self) -> None:
        """Write the trailer (the file plays to its end); safe to call twice or after an
        error (a file cut short by a full disk keeps what reached it)."""
        out, self._out = self._out, None
        if out is not None:
            out.close()

    @property
    def duration_s(self) -> float:
        """The recorded span on the video timeline."""
        last = self._last_pts.get("video")
        return 0.0 if last is None else round(last / _RATE["video"], 3)
