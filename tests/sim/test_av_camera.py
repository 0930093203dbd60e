"""The camera + microphone driver on the synthetic A/V source, and on a camera that is not there."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from edge_agent.drivers import av_camera
from edge_agent.drivers.av_camera import (
    FROZEN_IMAGE,
    AvCamera,
    AvCameraConfig,
    CameraUnavailable,
    CaptureFailed,
    Snapshot,
    VideoError,
    register_av_source,
)
from protocols.messages import Health
from simulators.av_source import SyntheticAvSource, source_from_name

W, H = 640, 480


@pytest.fixture(autouse=True)
def _registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test gets its own source registry with the simulator in it."""
    monkeypatch.setattr(av_camera, "_SOURCES", {})
    register_av_source("synthetic", source_from_name)
    yield


def config(**overrides: Any) -> AvCameraConfig:
    values: dict[str, Any] = {
        "type": "av_camera",
        "id": "hall-cam-1",
        "device": "synthetic:lobby?seed=7",
        "width": W,
        "height": H,
    }
    return AvCameraConfig.model_validate(values | overrides)


def decode(jpeg: bytes) -> np.ndarray:
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert img is not None
    return img


def fixed_clock() -> float:
    return 1_750_000_000.0


# --- video ---------------------------------------------------------------------------------------


async def test_snapshot_is_a_jpeg_of_the_configured_size_named_by_its_sha256() -> None:
    camera = AvCamera(config(width=800, height=600))
    try:
        snap = await camera.snapshot()
    finally:
        await camera.close()
    assert isinstance(snap, Snapshot)
    assert (
        snap.jpeg.startswith(b"\xff\xd8") and snap.sha256 == hashlib.sha256(snap.jpeg).hexdigest()
    )
    assert decode(snap.jpeg).shape == (600, 800, 3)
    assert (snap.width, snap.height) == (800, 600)
    assert snap.captured_at.tzinfo is not None
    assert snap.as_result()["sha256"] == snap.sha256


async def test_two_snapshots_differ_because_the_pattern_moves() -> None:
    source = SyntheticAvSource(W, H, seed=3, clock=fixed_clock)  # same timestamp on every frame
    camera = AvCamera(config(), source)
    first, second = await camera.snapshot(), await camera.snapshot()
    assert first.sha256 != second.sha256
    a, b = decode(first.jpeg).astype(int), decode(second.jpeg).astype(int)
    moved = np.abs(a - b).max(axis=2) > 60
    assert moved[: int(H * 0.8)].sum() > 100  # the box moved, not only the counter
    assert (await camera.health()) == (Health.OK, "")
    await camera.close()


def test_the_source_is_seeded_and_stamps_counter_and_time() -> None:
    one = SyntheticAvSource(W, H, seed=5, clock=fixed_clock)
    two = SyntheticAvSource(W, H, seed=5, clock=fixed_clock)
    other = SyntheticAvSource(W, H, seed=6, clock=fixed_clock)
    frames = [s.read()[1] for s in (one, two, other)]
    assert frames[0] is not None and frames[1] is not None and frames[2] is not None
    assert frames[0].shape == (H, W, 3) and frames[0].dtype == np.uint8
    assert np.array_equal(frames[0], frames[1])
    assert not np.array_equal(frames[0], frames[2])
    # the burned-in band changes with the frame counter and with the clock
    band = slice(int(H * 0.82), H)
    assert not np.array_equal(one.render(0, 0.0)[band], one.render(1, 0.0)[band])
    assert not np.array_equal(one.render(0, 0.0)[band], one.render(0, 1.0)[band])


async def test_frozen_source_is_degraded_with_a_reason_and_recovers() -> None:
    source = SyntheticAvSource(W, H, seed=1)
    camera = AvCamera(config(), source)
    assert (await camera.health())[0] is Health.OK
    source.frozen = True
    health, reason = await camera.health()
    assert health is Health.DEGRADED
    assert reason.startswith(FROZEN_IMAGE) and "hall-cam-1" in reason
    source.frozen = False
    assert (await camera.health())[0] is Health.OK
    await camera.close()


async def test_frozen_via_device_name_goes_through_the_registry() -> None:
    camera = AvCamera(config(device="synthetic:lobby?frozen=1"))
    health, reason = await camera.health()
    await camera.close()
    assert health is Health.DEGRADED and reason.startswith(FROZEN_IMAGE)


async def test_closed_source_is_offline_and_snapshot_raises_a_clear_error() -> None:
    camera = AvCamera(config(device="synthetic:lobby?closed=1"))
    health, reason = await camera.health()
    assert health is Health.OFFLINE
    assert "did not open" in reason and "hall-cam-1" in reason
    with pytest.raises(CameraUnavailable) as info:
        await camera.snapshot()
    assert info.value.reason == "camera_unavailable"
    assert "Check that the camera" in str(info.value)
    await camera.close()


async def test_source_closing_mid_run_is_capture_failed_then_offline() -> None:
    source = SyntheticAvSource(W, H)
    camera = AvCamera(config(), source)
    await camera.snapshot()
    source.closed = True
    with pytest.raises(CaptureFailed) as info:
        await camera.snapshot()
    assert info.value.reason == "capture_failed" and "Reseat the USB cable" in str(info.value)
    assert (await camera.health())[0] is Health.OFFLINE
    source.closed = False  # plugged back in: the next call reopens it
    assert (await camera.health())[0] is Health.OK
    await camera.close()


async def test_nonexistent_camera_index_is_offline_with_a_reason() -> None:
    camera = AvCamera(config(device=97))
    health, reason = await camera.health()
    assert health is Health.OFFLINE
    assert "video device 97 did not open" in reason and "v4l2-ctl" in reason
    with pytest.raises(VideoError) as info:
        await camera.snapshot()
    assert info.value.reason == "camera_unavailable"
    await camera.close()


async def test_synthetic_device_needs_the_simulator_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(av_camera, "_SOURCES", {})
    camera = AvCamera(config())
    health, reason = await camera.health()
    assert health is Health.OFFLINE and "kfleet demo" in reason


async def test_bad_synthetic_name_is_offline_naming_the_option() -> None:
    camera = AvCamera(config(device="synthetic:lobby?colour=red"))
    health, reason = await camera.health()
    assert health is Health.OFFLINE and "colour" in reason


# --- audio ---------------------------------------------------------------------------------------


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64) * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def test_audio_is_a_1khz_tone_at_48khz() -> None:
    source = SyntheticAvSource(seed=2)
    samples = source.read_audio(48_000)
    assert samples.dtype == np.int16 and samples.shape == (48_000,)
    assert dominant_hz(samples, 48_000) == pytest.approx(1000, abs=2)
    assert 15_000 < int(np.abs(samples).max()) <= 16_384  # half scale by default
    other = source_from_name("synthetic:x?tone=440")
    assert dominant_hz(other.read_audio(48_000), 48_000) == pytest.approx(440, abs=2)


def test_audio_is_phase_continuous_across_reads() -> None:
    chunked = SyntheticAvSource(seed=4)
    whole = SyntheticAvSource(seed=4)
    parts = [chunked.read_audio(n) for n in (480, 333, 1, 960)]
    assert np.array_equal(np.concatenate(parts), whole.read_audio(480 + 333 + 1 + 960))
    # and no jump at the seam: the step across it is no bigger than any step inside a chunk
    seam = abs(int(parts[0][-1]) - int(parts[1][0]))
    assert seam <= np.abs(np.diff(parts[0].astype(int))).max() + 1


def test_silent_audio_is_all_zeros_and_keeps_time() -> None:
    source = SyntheticAvSource(silent=True)
    quiet = source.read_audio(4800)
    assert quiet.dtype == np.int16 and not quiet.any()
    source.silent = False
    assert source.read_audio(4800).any() and source.samples == 9600
    assert not source_from_name("synthetic:x?silent=1").read_audio(100).any()


def test_closed_microphone_raises() -> None:
    with pytest.raises(OSError, match="closed"):
        SyntheticAvSource(closed=True).read_audio(10)


# --- configuration -------------------------------------------------------------------------------


def test_config_defaults_and_rejects_unknown_keys() -> None:
    cfg = AvCameraConfig.model_validate({"type": "av_camera", "id": "cam-1", "device": "2"})
    assert cfg.device == 2 and (cfg.width, cfg.height, cfg.fps) == (640, 480, 30.0)
    assert cfg.capabilities == ["snapshot", "video", "audio"]
    with pytest.raises(ValidationError, match="resolution"):
        AvCameraConfig.model_validate({"type": "av_camera", "id": "cam-1", "resolution": "hd"})
    with pytest.raises(ValidationError):
        AvCameraConfig.model_validate({"type": "av_camera", "id": "cam-1", "device": -1})
    with pytest.raises(ValidationError):
        AvCameraConfig.model_validate({"type": "doc_camera_uvc", "id": "cam-1"})
