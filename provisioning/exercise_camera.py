"""``kfleet provision test scan|camera``: one page from the document camera through the agent's
scan pipeline (capture, page detection, perspective correction, JPEG + PDF), or one frame
from the A/V camera, saved to a file whose path, size and resolution are shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge_agent.drivers.av_camera import AvCamera, AvCameraConfig
from edge_agent.drivers.camera_config import ScanMode
from edge_agent.drivers.doc_camera import DocCamera, DocCameraConfig
from edge_agent.drivers.video import CameraUnavailable, CaptureFailed, VideoError
from provisioning.exercise_find import TEST_ID
from provisioning.exercise_progress import Feedback
from provisioning.exercise_result import Exit, TestFailed


def _exit(err: VideoError) -> Exit:
    if isinstance(err, CameraUnavailable):
        return Exit.NOT_FOUND
    if isinstance(err, CaptureFailed):
        return Exit.TIMEOUT
    return Exit.DEVICE_ERROR


def save(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` (parents made); NOT_SAVED with the reason if that fails."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as err:
        raise TestFailed(
            Exit.NOT_SAVED,
            f"the picture was taken but cannot be written to {path} "
            f"({err.strerror or err}): give a writable --out",
        ) from err
    return path.resolve()


async def exercise_scan(
    device: int | str, size: tuple[int, int], mode: ScanMode, out: Path, feedback: Feedback
) -> dict[str, Any]:
    """Scan one page; the JPEG at ``out``, the PDF beside it, and what the pipeline found."""
    cfg = DocCameraConfig(
        type="doc_camera_uvc", id=TEST_ID, device=device, width=size[0], height=size[1], mode=mode
    )
    camera = DocCamera(cfg)
    try:
        with feedback.spinner(f"scanning from the document camera {device!r}"):
            result = await camera.scan()
    except VideoError as err:
        raise TestFailed(_exit(err), str(err)) from err
    finally:
        await camera.close()
    jpeg = save(out, result.jpeg)
    pdf = save(out.with_suffix(".pdf"), result.pdf)
    return {
        "file": str(jpeg),
        "file_bytes": len(result.jpeg),
        "pdf": str(pdf),
        "page_found": result.page_found,
        "confidence": round(result.confidence, 2),
        "page_size": f"{result.width}x{result.height}",
        "frame_size": f"{result.frame_size[0]}x{result.frame_size[1]}",
        "mode": result.mode,
        "timings_ms": result.timings_ms,
    }


async def exercise_camera(
    device: int | str, size: tuple[int, int], out: Path, feedback: Feedback
) -> dict[str, Any]:
    """One snapshot from the A/V camera, saved at ``out``; its resolution."""
    cfg = AvCameraConfig(type="av_camera", id=TEST_ID, device=device, width=size[0], height=size[1])
    camera = AvCamera(cfg)
    try:
        with feedback.spinner(f"taking a picture with the camera {device!r}"):
            snap = await camera.snapshot()
    except VideoError as err:
        raise TestFailed(_exit(err), str(err)) from err
    finally:
        await camera.close()
    path = save(out, snap.jpeg)
    return {
        "file": str(path),
        "file_bytes": len(snap.jpeg),
        "resolution": f"{snap.width}x{snap.height}",
        "requested": f"{size[0]}x{size[1]}",
    }
