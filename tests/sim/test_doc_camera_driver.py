"""The document-camera driver on the synthetic frame source, and on a camera that is not there."""

from __future__ import annotations

import hashlib
from typing import Any

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from edge_agent.drivers import doc_camera
from edge_agent.drivers.doc_camera import (
    DocCamera,
    DocCameraConfig,
    ScanMode,
    ScanResult,
    register_frame_source,
)
from edge_agent.drivers.video import CameraUnavailable, CaptureFailed, NoPageFound, VideoError
from protocols.messages import Health
from simulators.doc_camera import SyntheticFrameSource, jaccard, source_from_name

SIZE = (1280, 720)


def config(**overrides: Any) -> DocCameraConfig:
    values: dict[str, Any] = {
        "type": "doc_camera_uvc",
        "id": "doccam-1",
        "device": "synthetic:",
        "width": SIZE[0],
        "height": SIZE[1],
        "warmup_frames": 0,
        "flush_frames": 0,
    }
    return DocCameraConfig.model_validate(values | overrides)


class BlankSource:
    """A camera staring at an empty white desk."""

    def read(self) -> tuple[bool, np.ndarray]:
        return True, np.full((SIZE[1], SIZE[0], 3), 235, np.uint8)

    def release(self) -> None:
        pass


async def test_scan_returns_jpeg_pdf_corners_and_matching_sha256() -> None:
    source = SyntheticFrameSource("clutter", seed=21, size=SIZE)
    camera = DocCamera(config(), source)
    result = await camera.scan()
    assert isinstance(result, ScanResult)
    assert result.sha256 == hashlib.sha256(result.jpeg).hexdigest()
    assert result.pdf.startswith(b"%PDF-") and result.jpeg in result.pdf
    page = cv2.imdecode(np.frombuffer(result.jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert page is not None and page.shape[:2] == (result.height, result.width)
    assert result.page_found and result.confidence >= 0.3
    assert source.last is not None
    assert jaccard(result.corners, source.last.corners, source.last.page_size) >= 0.9
    assert result.frame_size == SIZE and {"detect", "rectify", "capture"} <= set(result.timings_ms)
    ack = result.as_result()
    assert ack["sha256"] == result.sha256 and ack["jpeg_bytes"] == len(result.jpeg)
    assert ack["pdf_sha256"] == hashlib.sha256(result.pdf).hexdigest()
    assert await camera.health() == (Health.OK, "")
    await camera.close()


async def test_missing_camera_index_is_offline_with_a_reason() -> None:
    camera = DocCamera(config(device=97))
    health, reason = await camera.health()
    assert health is Health.OFFLINE
    assert "doccam-1" in reason and "97" in reason and "did not open" in reason
    with pytest.raises(CameraUnavailable) as caught:
        await camera.scan()
    assert isinstance(caught.value, VideoError) and caught.value.reason == "camera_unavailable"


async def test_synthetic_device_name_needs_the_simulator_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(doc_camera, "_SOURCES", {})
    camera = DocCamera(config(device="synthetic:wood?seed=3&size=1280x720"))
    health, reason = await camera.health()
    assert health is Health.OFFLINE and "simulator" in reason
    register_frame_source("synthetic", source_from_name)
    assert await camera.health() == (Health.OK, "")
    assert (await camera.scan()).page_found


async def test_closed_source_is_offline_and_flaky_reads_are_retried() -> None:
    closed = DocCamera(config(), SyntheticFrameSource(size=SIZE, closed=True))
    health, reason = await closed.health()
    assert health is Health.OFFLINE and "closed" in reason

    flaky = SyntheticFrameSource("jpeg", size=SIZE, drop_every=2)
    camera = DocCamera(config(warmup_frames=1), flaky)
    assert (await camera.scan()).page_found  # read 1 (warm-up) ok, 2 dropped → 3 ok
    assert flaky.reads == 3

    dead = SyntheticFrameSource("jpeg", size=SIZE, drop_every=1)
    camera = DocCamera(config(), dead)
    with pytest.raises(CaptureFailed):
        await camera.capture()
    health, reason = await camera.health()
    assert health is Health.OFFLINE and "no frame" in reason


async def test_no_page_gives_the_whole_frame_or_an_error() -> None:
    lenient = await DocCamera(config(), BlankSource()).scan()
    assert not lenient.page_found and (lenient.width, lenient.height) == SIZE
    assert lenient.corners[0] == (-0.5, -0.5)

    strict = DocCamera(config(require_page=True), BlankSource())
    with pytest.raises(NoPageFound) as caught:
        await strict.scan()
    assert caught.value.reason == "no_page" and "Place the whole page" in str(caught.value)


def test_config_is_strict() -> None:
    assert config(device="2").device == 2
    assert config(device="/dev/video0").device == "/dev/video0"
    assert config().capabilities == ["scan"]
    with pytest.raises(ValidationError):
        config(colour="yes")
    with pytest.raises(ValidationError):
        config(type="doc_camera_gige")
    with pytest.raises(ValidationError):
        config(device=-1)


async def test_scan_modes_colour_grey_and_document() -> None:
    """One uneven-light frame in each mode: colour keeps three channels, grey has one, and
    document mode evens out the lighting into (nearly) pure black text on white paper."""
    pages: dict[str, np.ndarray] = {}
    modes: tuple[ScanMode, ...] = ("color", "gray", "document")
    for mode in modes:
        source = SyntheticFrameSource("uneven_light", seed=5, size=SIZE)
        camera = DocCamera(config(), source)
        result = await camera.scan(mode)
        assert result.mode == mode and result.as_result()["mode"] == mode
        page = cv2.imdecode(np.frombuffer(result.jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
        assert page is not None and page.shape[:2] == (result.height, result.width)
        pages[mode] = page
        await camera.close()
    colour, grey, document = pages["color"], pages["gray"], pages["document"]
    assert colour.ndim == 3 and colour.shape[2] == 3
    spread = np.abs(colour.astype(int) - colour.mean(axis=2, keepdims=True)).mean()
    assert spread > 0.2  # not a grey image stored in three channels
    assert grey.ndim == 2 and document.ndim == 2

    def extreme(img: np.ndarray) -> float:
        return float(np.mean((img < 40) | (img > 215)))

    assert extreme(document) > 0.97 > extreme(grey)
    assert document.std() > 2 * grey.std()  # text stands out from the paper


async def test_scan_without_a_mode_uses_the_configured_one() -> None:
    camera = DocCamera(config(mode="gray"), SyntheticFrameSource("plain_desk", seed=3, size=SIZE))
    result = await camera.scan()
    assert result.mode == "gray"
    page = cv2.imdecode(np.frombuffer(result.jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
    assert page is not None and page.ndim == 2
    await camera.close()
