"""``kfleet provision test scan|camera`` on the synthetic document camera and A/V source,
registered with the agent's drivers as ``kfleet demo`` does: the scan goes through page
detection and correction and is saved (path, size, page found shown); the camera frame is
saved with its resolution; a camera that does not open, an unwritable output and a missing
device each fail with their own exit code; no video device at all → exit 0."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from edge_agent.drivers import av_camera, doc_camera
from provisioning.exercise_result import Exit
from simulators import av_source
from simulators.doc_camera import source_from_name
from tests.provisioning.exercise_kit import as_json, invoke


@pytest.fixture(autouse=True)
def synthetic_cameras(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(doc_camera, "_SOURCES", {})
    monkeypatch.setattr(av_camera, "_SOURCES", {})
    doc_camera.register_frame_source("synthetic", source_from_name)
    av_camera.register_av_source("synthetic", av_source.source_from_name)
    yield


def test_a_scan_is_corrected_and_saved(tmp_path: Path) -> None:
    out = tmp_path / "scan.jpg"
    device = "synthetic:clutter?seed=21&size=1280x720"
    result = invoke("scan", "--device", device, "--out", str(out), "--json")
    body = as_json(result)
    assert (result.exit_code, body["result"]) == (0, "pass"), result.output
    assert body["file"] == str(out) and body["file_bytes"] == out.stat().st_size
    assert body["page_found"] is True and body["confidence"] >= 0.3
    assert body["frame_size"] == "1280x720"
    page = cv2.imdecode(np.frombuffer(out.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert f"{page.shape[1]}x{page.shape[0]}" == body["page_size"]
    assert page.shape[0] > page.shape[1]  # an A4 page, upright, not the landscape frame
    assert Path(body["pdf"]).read_bytes().startswith(b"%PDF-")


def test_the_scan_result_names_the_file_and_the_page(tmp_path: Path) -> None:
    out = tmp_path / "s.jpg"
    result = invoke("scan", "--device", "synthetic:plain_desk?size=1280x720", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"  file: {out}\n" in result.output and "  page_found: True" in result.output


def test_a_camera_frame_is_saved_with_its_resolution(tmp_path: Path) -> None:
    out = tmp_path / "cam.jpg"
    args = ("camera", "--device", "synthetic:lobby", "--width", "800", "--height", "600")
    result = invoke(*args, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "  resolution: 800x600" in result.output
    frame = cv2.imdecode(np.frombuffer(out.read_bytes(), np.uint8), cv2.IMREAD_COLOR)
    assert frame.shape[:2] == (600, 800)


def test_a_camera_that_does_not_open_is_not_found(tmp_path: Path) -> None:
    out = tmp_path / "cam.jpg"
    result = invoke("camera", "--device", "synthetic:lobby?closed=1", "--out", str(out))
    assert result.exit_code == Exit.NOT_FOUND, result.output
    assert "did not open" in result.output and not out.exists()


def test_an_unwritable_output_is_not_saved(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = blocker / "scan.jpg"  # a directory that is a file
    result = invoke("scan", "--device", "synthetic:plain_desk?size=640x480", "--out", str(out))
    assert result.exit_code == Exit.NOT_SAVED, result.output
    assert f"cannot be written to {out}" in result.output


def test_a_named_video_device_that_is_missing_is_not_found(tmp_path: Path) -> None:
    result = invoke("camera", "--device", str(tmp_path / "video7"))
    assert result.exit_code == Exit.NOT_FOUND
    assert "nothing is there" in result.output


def test_no_video_device_on_the_machine_says_so_and_exits_0(tmp_path: Path) -> None:
    for test, what in (("scan", "document camera"), ("camera", "camera")):
        result = invoke(test, "--sysfs-root", str(tmp_path))
        assert result.exit_code == 0, result.output
        assert result.output.startswith(f"NOTHING TO TEST {test}: no {what} found")
        assert "/dev/video*" in result.output
