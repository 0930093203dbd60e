"""The call recorder alone, fed VP8 and Opus frames as the relay hands them over: the file
starts at a key frame and decodes; a full disk, the size limit and a slow disk each end or
thin the recording with their reason and never raise into the relay."""

from __future__ import annotations

import io
import queue
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from cloud.media import recorder as recorder_mod
from cloud.media.recorder import StreamRecorder
from cloud.media.recording_file import vp8_size

W, H = 320, 240


def vp8_frames(n: int, keyframe_every: int = 0) -> list[bytes]:
    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height, enc.pix_fmt = W, H, "yuv420p"
    enc.time_base, enc.framerate = Fraction(1, 90000), 15
    if keyframe_every:
        enc.gop_size = keyframe_every
    out: list[bytes] = []
    for i in range(n):
        picture = np.full((H, W, 3), (i * 9) % 256, dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = i * 6000, Fraction(1, 90000)
        out += [bytes(p) for p in enc.encode(frame)]
    return out + [bytes(p) for p in enc.encode(None)]


def opus_frames(n: int) -> list[bytes]:
    enc = av.CodecContext.create("libopus", "w")
    enc.sample_rate, enc.layout, enc.format = 48000, "stereo", "s16"
    enc.time_base = Fraction(1, 48000)
    out: list[bytes] = []
    for i in range(n):
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 960 * 2), dtype=np.int16), format="s16", layout="stereo"
        )
        frame.sample_rate, frame.pts = 48000, i * 960
        out += [bytes(p) for p in enc.encode(frame)]
    return out


def decoded(path: Path) -> tuple[int, int]:
    with av.open(io.BytesIO(path.read_bytes())) as c:
        video = sum(1 for _ in c.decode(video=0))
    with av.open(io.BytesIO(path.read_bytes())) as c:
        audio = sum(1 for _ in c.decode(audio=0))
    return video, audio


def test_the_size_of_a_key_frame_is_read_from_its_header() -> None:
    first, second = vp8_frames(2)[:2]
    assert vp8_size(first) == (W, H)
    assert vp8_size(second) is None  # an inter frame
    assert vp8_size(b"\x00\x00") is None


async def test_a_recording_starts_at_a_key_frame_and_decodes(tmp_path: Path) -> None:
    video = vp8_frames(30)
    audio = opus_frames(100)
    rec = StreamRecorder(tmp_path / "2026" / "12" / "call.webm", max_bytes=2**24)
    rec.feed("video", video[5], 0)  # an inter frame first (joined mid-stream): dropped
    for i, payload in enumerate(video):
        rec.feed("video", payload, 1_000_000 + i * 6000)
        for j in range(3):
            rec.feed("audio", audio[(i * 3 + j) % len(audio)], 5_000 + (i * 3 + j) * 960)
    result = await rec.stop()
    assert (result.state, result.reason, result.dropped) == ("complete", "", 0)
    assert result.video_frames == len(video) and result.audio_frames == 90
    assert result.duration_s == pytest.approx((len(video) - 1) * 6000 / 90000, abs=0.01)
    assert decoded(result.path) == (len(video), 90)
    assert result.bytes == result.path.stat().st_size


async def test_a_full_disk_ends_the_recording_with_its_reason(tmp_path: Path) -> None:
    rec = StreamRecorder(Path("/dev/full"), max_bytes=2**24)  # every write: ENOSPC
    for i, payload in enumerate(vp8_frames(30)):
        rec.feed("video", payload, i * 6000)  # never raises into the relay's receive path
    result = await rec.stop()
    assert result.state == "failed"
    assert result.reason == "disk full: free space under help_recording_dir"
    assert result.path == Path("/dev/full")  # a failed recording is never unlinked


async def test_the_size_limit_stops_the_recording_and_keeps_what_came(tmp_path: Path) -> None:
    frames = vp8_frames(60)
    rec = StreamRecorder(tmp_path / "big.webm", max_bytes=sum(map(len, frames[:20])))
    for i, payload in enumerate(frames):
        rec.feed("video", payload, i * 6000)
    result = await rec.stop()
    assert result.state == "failed" and result.reason.startswith("size limit reached")
    video, _ = decoded(result.path)
    assert 20 <= video < 60  # playable up to the limit


async def test_a_slow_disk_drops_frames_up_to_the_next_key_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder_mod, "QUEUE_DEPTH", 5)
    rec = StreamRecorder(tmp_path / "slow.webm", max_bytes=2**24)
    # hold the writer thread: the queue fills while it is busy
    gate: queue.Queue[None] = queue.Queue()
    real_write = rec._file.write

    def slow_write(frame: object) -> None:
        gate.get()
        real_write(frame)  # type: ignore[arg-type]

    monkeypatch.setattr(rec._file, "write", slow_write)
    frames = vp8_frames(40, keyframe_every=10)
    for i, payload in enumerate(frames):
        rec.feed("video", payload, i * 6000)
    assert rec.dropped > 0
    for _ in range(len(frames)):
        gate.put(None)
    result = await rec.stop()
    assert result.state == "complete" and result.dropped == rec.dropped
    video, _ = decoded(result.path)
    assert 0 < video == result.video_frames < len(frames)


async def test_no_key_frame_no_file(tmp_path: Path) -> None:
    rec = StreamRecorder(tmp_path / "none.webm", max_bytes=2**24)
    inter_only = [p for p in vp8_frames(10) if vp8_size(p) is None]
    assert inter_only
    for i, payload in enumerate(inter_only):
        rec.feed("video", payload, i * 6000)
    result = await rec.stop()
    assert (result.state, result.bytes) == ("empty", 0)
    assert not result.path.exists()
