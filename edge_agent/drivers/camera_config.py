"""Configuration of the cameras: document camera (高拍仪) and camera + microphone.

Hardware-free (no OpenCV, no NumPy), so loading a config never touches them."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from edge_agent.drivers.config import Capabilities, DriverConfig, PeripheralId, offers
from protocols.jobs import Capability

#: ``color``; ``gray`` (one channel); ``document`` (grey, lighting evened out, binarised text)
ScanMode = Literal["color", "gray", "document"]


def camera_device(value: int | str) -> int | str:
    """A camera index given as a string ("2") is an index; an index is never negative."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, int) and value < 0:
        raise ValueError("a camera index is 0 or more")
    return value


class CameraConfig(DriverConfig):
    """What both cameras' configs have."""

    id: PeripheralId
    #: VideoCapture index (``0``), device path (``/dev/video0``), or ``synthetic:<name>``
    device: int | Annotated[str, Field(min_length=1, max_length=512)] = 0
    width: Annotated[int, Field(ge=160, le=8192)]
    height: Annotated[int, Field(ge=120, le=8192)]
    model: Annotated[str, Field(max_length=128)] = ""
    jpeg_quality: Annotated[int, Field(ge=10, le=100)] = 85

    @field_validator("device")
    @classmethod
    def _device(cls, value: int | str) -> int | str:
        return camera_device(value)


class DocCameraConfig(CameraConfig):
    """One document camera in the agent configuration."""

    type: Literal["doc_camera_uvc"]
    width: Annotated[int, Field(ge=160, le=8192)] = 1920
    height: Annotated[int, Field(ge=120, le=8192)] = 1080
    capabilities: Capabilities = offers(Capability.SCAN)
    #: frames discarded after opening (auto-exposure) and before each scan (stale buffers)
    warmup_frames: Annotated[int, Field(ge=0, le=60)] = 5
    flush_frames: Annotated[int, Field(ge=0, le=10)] = 2
    mode: ScanMode = "color"
    aspect: Literal["a4", "estimate"] = "a4"
    #: below this detector confidence the frame is treated as having no page
    min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.3
    #: no page found: fail the scan (True) or deliver the whole frame, flattened (False)
    require_page: bool = False
    #: below this confidence the citizen is asked to adjust the four corners on the screen
    #: (only when the device has a screen serving; 0 never asks, 1 always asks)
    ask_below: Annotated[float, Field(ge=0, le=1)] = 0.5
    #: how long the corner-adjust screen waits for the citizen before going on without them
    review_timeout_s: Annotated[float, Field(gt=0, le=600)] = 60.0
    #: how many times the citizen may ask for the page to be captured again in one scan
    max_retakes: Annotated[int, Field(ge=0, le=10)] = 3


class AvCameraConfig(CameraConfig):
    """One camera + microphone in the agent configuration."""

    type: Literal["av_camera"]
    width: Annotated[int, Field(ge=160, le=8192)] = 640
    height: Annotated[int, Field(ge=120, le=8192)] = 480
    fps: Annotated[float, Field(gt=0, le=120)] = 30.0
    capabilities: Capabilities = offers(Capability.SNAPSHOT, Capability.VIDEO, Capability.AUDIO)
    #: frames discarded before a snapshot (a UVC camera buffers a few stale ones)
    flush_frames: Annotated[int, Field(ge=0, le=10)] = 1
    #: the microphone for live streams when the camera source has none of its own:
    #: ``<ffmpeg input format>:<device>``, e.g. ``alsa:default`` or ``alsa:hw:1,0``; empty: the
    #: source's own (the simulator's tone), else silence and ``degraded`` health while streaming
    microphone: Annotated[str, Field(pattern=r"^([a-z0-9_]{1,16}:[^\s\x00-\x1f]{1,200})?$")] = ""
