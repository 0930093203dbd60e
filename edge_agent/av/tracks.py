"""The media tracks a stream sends: the camera's live frames and the microphone's sound.

Both pace themselves on the monotonic clock (a real-time source, like aiortc's own test
tracks) and never block the event loop: the video track takes the camera feed's newest frame
(:class:`~edge_agent.drivers.av_camera.FrameFeed`; the camera is read by one task elsewhere)
and the audio track reads 20 ms of samples from the source's microphone, or sends silence
when there is none. A camera that stops delivering ends the video track and tells the
publisher through ``on_camera_lost``.
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import av
import numpy as np
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from edge_agent.drivers.video import VideoError

if TYPE_CHECKING:
    from edge_agent.drivers.av_camera import AudioReader, FrameFeed, LiveFrame

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90_000
AUDIO_RATE = 48_000
AUDIO_PTIME = 0.020
AUDIO_SAMPLES = int(AUDIO_RATE * AUDIO_PTIME)
#: no new frame for this long: the camera has stalled; the last frame is sent again meanwhile
#: (a frozen picture is the health probe's to report), the failure is the feed's to say
FRAME_WAIT_S = 0.5
#: a video track this far behind its clock drops the frames it missed instead of sending them
#: all at once
CATCH_UP_S = 0.25


class CameraTrack(MediaStreamTrack):
    """Video: the camera feed's frames, scaled to ``size``, at ``fps``."""

    kind = "video"

    def __init__(
        self,
        feed: FrameFeed,
        size: tuple[int, int],
        fps: float,
        on_camera_lost: Callable[[VideoError], None],
    ) -> None:
        super().__init__()
        self._feed, self._size, self._fps = feed, size, fps
        self._on_camera_lost = on_camera_lost
        self._started: float | None = None
        self._count = 0
        self._last: LiveFrame | None = None
        self.sent = 0  # frames handed to the encoder

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        await self._pace()
        frame = await self._next_frame()
        out = av.VideoFrame.from_ndarray(self._scaled(frame.image), format="bgr24")
        out.pts = round(self._count * VIDEO_CLOCK / self._fps)
        out.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self.sent += 1
        return out

    async def _pace(self) -> None:
        now = time.monotonic()
        if self._started is None:
            self._started = now
            return
        self._count += 1
        due = self._started + self._count / self._fps
        if now - due > CATCH_UP_S:  # the encoder fell behind (a busy CPU): skip, never burst
            self._count = int((now - self._started) * self._fps)
        elif due > now:
            await asyncio.sleep(due - now)  # the frame period, not synchronisation

    async def _next_frame(self) -> LiveFrame:
        after = self._last.seq if self._last is not None else 0
        try:
            try:
                frame = await self._feed.next(after, FRAME_WAIT_S)
            except TimeoutError:  # the last picture again; before the first one: keep waiting
                frame = self._last if self._last is not None else await self._wait_first()
        except VideoError as err:
            self._on_camera_lost(err)
            self.stop()
            raise MediaStreamError from err
        self._last = frame
        return frame

    async def _wait_first(self) -> LiveFrame:
        while True:
            try:
                return await self._feed.next(0, FRAME_WAIT_S)
            except TimeoutError:
                continue

    def _scaled(self, image: np.ndarray) -> np.ndarray:
        import cv2

        w, h = self._size
        if image.shape[1] == w and image.shape[0] == h:
            return image
        return cv2.resize(image, (w, h), interpolation=cv2.INTER_AREA)


class MicTrack(MediaStreamTrack):
    """Audio: 20 ms frames of mono 48 kHz sound from ``read`` (silence when None or gone)."""

    kind = "audio"

    def __init__(self, read: AudioReader | None) -> None:
        super().__init__()
        self._read = read
        self._started: float | None = None
        self._pts = 0

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._started is None:
            self._started = now
        else:
            self._pts += AUDIO_SAMPLES
            due = self._started + self._pts / AUDIO_RATE
            if due > now:
                await asyncio.sleep(due - now)  # the frame period, not synchronisation
        frame = av.AudioFrame.from_ndarray(self._samples().reshape(1, -1), "s16", "mono")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        return frame

    def _samples(self) -> np.ndarray:
        if self._read is not None:
            try:
                return np.asarray(self._read(AUDIO_SAMPLES), dtype=np.int16)
            except OSError as err:  # the microphone went with the camera: the video says so
                log.info("microphone stopped (%s); sending silence", err)
                self._read = None
        return np.zeros(AUDIO_SAMPLES, np.int16)
