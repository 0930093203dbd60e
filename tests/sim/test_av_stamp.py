"""The synthetic camera's timestamp strip: drawn in every frame, read back after VP8."""

from __future__ import annotations

import fractions

import cv2
import numpy as np
import pytest
from aiortc.codecs import get_decoder, get_encoder
from aiortc.codecs.base import Decoder
from aiortc.codecs.vpx import vp8_depayload
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from av import VideoFrame

from simulators.av_source import SyntheticAvSource
from simulators.av_stamp import draw_stamp, read_stamp

T0 = 1_765_000_000.123


def test_each_frame_carries_its_wall_clock_in_milliseconds() -> None:
    clock = iter([T0, T0 + 0.066, T0 + 0.133])
    src = SyntheticAvSource(640, 480, 15, seed=3, clock=lambda: next(clock))
    got = []
    for _ in range(3):
        ok, frame = src.read()
        assert ok and frame is not None
        got.append(read_stamp(frame))
    assert got == [round(T0 * 1000), round((T0 + 0.066) * 1000), round((T0 + 0.133) * 1000)]


def test_a_damaged_strip_reads_as_none_not_as_a_wrong_time() -> None:
    img = np.full((480, 640, 3), 120, np.uint8)
    draw_stamp(img, 1_765_000_000_123)
    assert read_stamp(img) == 1_765_000_000_123
    side = 640 // 80
    img[side : 2 * side, side * 20 : side * 21] = 255 - img[side + 3, side * 20 + 3]  # flip a bit
    assert read_stamp(img) is None
    assert read_stamp(np.zeros((480, 640), np.uint8)) is None  # no strip at all


def test_frames_too_small_for_the_strip_are_drawn_without_it() -> None:
    src = SyntheticAvSource(160, 120, 15, seed=1, clock=lambda: T0)
    ok, frame = src.read()
    assert ok and frame is not None and read_stamp(frame) is None
    with pytest.raises(ValueError, match="too small"):
        draw_stamp(np.zeros((120, 160, 3), np.uint8), 1)


@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (320, 240)])
def test_the_strip_survives_vp8_and_a_scaled_decode(size: tuple[int, int]) -> None:
    """Encode with aiortc's VP8 encoder (what the agent publishes), decode, read the time."""
    width, height = size
    codec = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000)
    encoder, decoder = get_encoder(codec), get_decoder(codec)
    clock = [T0]
    src = SyntheticAvSource(width, height, 15, seed=5, clock=lambda: clock[0])
    read: list[int | None] = []
    for n in range(20):
        clock[0] = T0 + n / 15
        ok, img = src.read()
        assert ok and img is not None
        frame = VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts, frame.time_base = n * 6000, fractions.Fraction(1, 90000)
        payloads, _ = encoder.encode(frame, force_keyframe=n == 0)
        for out in _decode(decoder, payloads):
            seen = np.asarray(out.to_ndarray(format="bgr24"), np.uint8)
            if width >= 1280:  # a viewer that shows (and reads) it at half size
                half = (width // 2, height // 2)
                seen = np.asarray(cv2.resize(seen, half, interpolation=cv2.INTER_AREA), np.uint8)
            read.append(read_stamp(seen))
    expected = [round((T0 + n / 15) * 1000) for n in range(20)]
    assert read == expected


def _decode(decoder: Decoder, payloads: list[bytes]) -> list[VideoFrame]:
    data = b"".join(vp8_depayload(p) for p in payloads)
    return [
        f for f in decoder.decode(JitterFrame(data=data, timestamp=0)) if isinstance(f, VideoFrame)
    ]
