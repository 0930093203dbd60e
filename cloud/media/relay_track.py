"""Passthrough plumbing for the aiortc relay: take a publisher's encoded frames as they leave
aiortc's jitter buffer (before any decoding) and hand them, as ``av.Packet``s, to one outbound
track per viewer, whose ``RTCRtpSender`` re-packetises them without encoding.

aiortc decodes every received frame in a thread fed by the receiver's decoder queue; there is
no public hook for the encoded frames. :func:`tap_receiver` swaps that queue (a private
attribute, set before the receiver starts) for one that forwards the frames instead, so the
cloud spends no CPU on decoding or encoding. If a future aiortc renames the attribute the tap
reports ``False`` and the relay falls back to decoding and re-encoding (``passthrough:
false`` in the stream's health).
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

VIDEO_TIME_BASE = Fraction(1, 90000)
AUDIO_TIME_BASE = Fraction(1, 48000)
_DECODER_QUEUE = "_RTCRtpReceiver__decoder_queue"

#: what the tap calls with each encoded frame: (kind, payload, rtp timestamp)
FrameSink = Callable[[str, bytes, int], None]


def vp8_keyframe(payload: bytes) -> bool:
    """A VP8 frame is a key frame when bit 0 of its frame tag is 0 (RFC 6386 § 9.1)."""
    return bool(payload) and payload[0] & 0x01 == 0


class _TapQueue(queue.Queue[Any]):
    """Stands in for the receiver's decoder queue: encoded frames go to ``sink`` (called on
    the event loop, where aiortc puts them); the end marker still reaches the decoder thread
    so it ends and the remote track with it."""

    def __init__(self, kind: str, sink: FrameSink) -> None:
        super().__init__()
        self._kind = kind
        self._sink = sink

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None, block, timeout)
            return
        _codec, encoded = item
        self._sink(self._kind, bytes(encoded.data), int(encoded.timestamp))


def tap_receiver(receiver: Any, kind: str, sink: FrameSink) -> bool:
    """Route ``receiver``'s encoded frames to ``sink`` instead of its decoder; call it before
    the receiver starts (in the peer connection's ``track`` event). False: this aiortc has no
    such queue, decode instead."""
    if not isinstance(getattr(receiver, _DECODER_QUEUE, None), queue.Queue):
        return False
    setattr(receiver, _DECODER_QUEUE, _TapQueue(kind, sink))
    return True


def packet(payload: bytes, timestamp: int, kind: str) -> av.Packet[Any]:
    """An encoded frame as aiortc's encoders ``pack`` it (pts in the RTP clock)."""
    out = av.Packet(payload)
    out.pts = timestamp
    out.time_base = VIDEO_TIME_BASE if kind == "video" else AUDIO_TIME_BASE
    return out


class RelayTrack(MediaStreamTrack):
    """One viewer's outbound track: frames (``av.Packet``s in passthrough, decoded frames
    otherwise) pushed by the stream, a bounded queue so a slow viewer drops its own frames
    and nobody else's. Video starts at a key frame and starts over at one after a drop."""

    def __init__(self, kind: str, on_need_keyframe: Callable[[], None], depth: int = 60) -> None:
        super().__init__()
        self.kind = kind
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=depth)
        self._need_keyframe = on_need_keyframe
        self._waiting_key = kind == "video"
        self.dropped = 0

    def push(self, item: Any, keyframe: bool) -> None:
        """Queue one frame; never blocks the publisher's receive path."""
        if self.readyState != "live":
            return
        if self._waiting_key:
            if not keyframe:
                return
            self._waiting_key = False
        if self._queue.full():
            self.dropped += 1
            self._drain()
            if self.kind == "video" and not keyframe:
                self._waiting_key = True
                self._need_keyframe()
                return
        self._queue.put_nowait(item)

    def wait_for_keyframe(self) -> None:
        """A new publisher: its frames only decode from its first key frame."""
        if self.kind == "video":
            self._waiting_key = True

    def _drain(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()

    def end(self) -> None:
        """No more frames: the sender's ``recv`` ends and the sender stops."""
        self._drain()
        self._queue.put_nowait(None)

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        item = await self._queue.get()
        if item is None:
            self.stop()
            raise MediaStreamError
        return item
