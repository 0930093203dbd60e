"""Peripheral configuration models: one per driver, a discriminated union on ``type``.

Kept apart from the drivers so that loading a config never imports hardware libraries
(pyserial, OpenCV, NumPy) and so that the union can name every driver without importing it.
Each driver module re-exports its own model (``edge_agent.drivers.idcard_reader.
IdCardReaderConfig`` and so on). Adding a driver is adding a model here, to
:data:`PeripheralConfig`, and a module plus an adapter in ``edge_agent.drivers``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from protocols.jobs import Capability as Capability

PeripheralId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- receipt printers (ESC/POS) ---------------------------------------------------------------


class _PrinterBase(_Model):
    id: PeripheralId
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)] = [
        Capability.RECEIPT
    ]
    #: required: a printer that does not answer DLE EOT is refused before printing;
    #: best_effort: print anyway (the result is then ``uncertain`` unless it answers after)
    status: Literal["required", "best_effort"] = "required"
    #: how long to wait for the one-byte real-time status reply
    status_timeout_s: Annotated[float, Field(gt=0, le=30)] = 1.0
    model: Annotated[str, Field(max_length=128)] = ""


class EscposNetwork(_PrinterBase):
    """An Ethernet/Wi-Fi receipt printer on a raw TCP port (JetDirect, usually 9100)."""

    type: Literal["escpos_network"]
    host: Annotated[str, Field(min_length=1, max_length=253)]
    port: Annotated[int, Field(ge=1, le=65535)] = 9100
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 3.0


class EscposSerial(_PrinterBase):
    """A receipt printer on a serial port (RS-232 or a USB-serial adapter)."""

    type: Literal["escpos_serial"]
    device: Annotated[str, Field(min_length=1)]
    baudrate: Annotated[int, Field(ge=1200, le=921_600)] = 9600
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 3.0


class EscposUsb(_PrinterBase):
    """A receipt printer addressed by USB vendor/product id (libusb via pyusb)."""

    type: Literal["escpos_usb"]
    vendor_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    product_id: Annotated[int, Field(ge=0, le=0xFFFF)]
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 3.0


class EscposFile(_PrinterBase):
    """A receipt printer exposed as a device file by the kernel (e.g. ``/dev/usb/lp0``)."""

    type: Literal["escpos_file"]
    path: Path


EscposConfig = EscposNetwork | EscposSerial | EscposUsb | EscposFile


# --- ID-card reader (GA 467) ------------------------------------------------------------------


class IdCardReaderConfig(_Model):
    """A GA 467 ID-card reader on a serial port (USB-serial adapters appear as one)."""

    type: Literal["idcard_ga467"]
    id: PeripheralId
    #: device path, e.g. /dev/ttyUSB0 (or a pty's slave path in tests)
    port: Annotated[str, Field(min_length=1, max_length=256)]
    baudrate: Literal[9600, 19200, 38400, 57600, 115200] = 115200
    #: how long one command may take to be answered completely
    timeout_s: Annotated[float, Field(gt=0, le=30)] = 3.0
    #: how often "find card" is repeated while waiting for a card
    poll_interval_s: Annotated[float, Field(gt=0, le=5)] = 0.2
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)] = [
        Capability.IDCARD
    ]
    model: Annotated[str, Field(max_length=128)] = ""
    #: the agent looks for a card every ``auto_read_interval_s`` and publishes an
    #: ``idcard_read`` event (masked data only) for each card placed; off by default
    auto_read: bool = False
    auto_read_interval_s: Annotated[float, Field(gt=0, le=60)] = 0.5


# --- serial call button and 好差评 rating pad ---------------------------------------------------


class SerialSettings(_Model):
    """What every framed-serial peripheral's config has."""

    id: PeripheralId
    port: Annotated[str, Field(min_length=1)]
    baudrate: Annotated[int, Field(ge=1200, le=921_600)] = 9600
    model: Annotated[str, Field(max_length=128)] = ""
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)]
    #: expected heartbeat interval until the device announces its own
    heartbeat_s: Annotated[float, Field(gt=0, le=3600)] = 5.0
    ack_timeout_s: Annotated[float, Field(gt=0, le=10)] = 0.3
    retries: Annotated[int, Field(ge=0, le=10)] = 3
    reconnect_min_s: Annotated[float, Field(gt=0, le=60)] = 0.5
    reconnect_max_s: Annotated[float, Field(gt=0, le=600)] = 10.0


class CallButtonSerial(SerialSettings):
    type: Literal["call_button_serial"]
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)] = Field(
        default_factory=lambda: [Capability.CALL_BUTTON]
    )
    #: edges of one button closer than this (device clock) are contact bounce
    debounce_ms: Annotated[int, Field(ge=0, le=500)] = 30
    #: after a suppressed edge, wait this long for the rest of the burst before settling
    settle_s: Annotated[float, Field(gt=0, le=5)] = 0.25


class RatingPadSerial(SerialSettings):
    type: Literal["rating_pad_serial"]
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)] = Field(
        default_factory=lambda: [Capability.RATING]
    )
    #: how much longer than the request's timeout the driver waits for the pad's own answer
    grace_s: Annotated[float, Field(gt=0, le=60)] = 2.0


# --- document camera (高拍仪) -------------------------------------------------------------------


class DocCameraConfig(_Model):
    """One document camera in the agent configuration."""

    type: Literal["doc_camera_uvc"]
    id: PeripheralId
    #: VideoCapture index (``0``), device path (``/dev/video2``), or ``synthetic:<name>``
    device: int | Annotated[str, Field(min_length=1, max_length=512)] = 0
    width: Annotated[int, Field(ge=160, le=8192)] = 1920
    height: Annotated[int, Field(ge=120, le=8192)] = 1080
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)] = [
        Capability.SCAN
    ]
    model: Annotated[str, Field(max_length=128)] = ""
    #: frames discarded after opening (auto-exposure) and before each scan (stale buffers)
    warmup_frames: Annotated[int, Field(ge=0, le=60)] = 5
    flush_frames: Annotated[int, Field(ge=0, le=10)] = 2
    jpeg_quality: Annotated[int, Field(ge=10, le=100)] = 85
    mode: Literal["color", "gray", "document"] = "color"
    aspect: Literal["a4", "estimate"] = "a4"
    #: below this detector confidence the frame is treated as having no page
    min_confidence: Annotated[float, Field(ge=0, le=1)] = 0.3
    #: no page found: fail the scan (True) or deliver the whole frame, flattened (False)
    require_page: bool = False

    @field_validator("device")
    @classmethod
    def _device(cls, value: int | str) -> int | str:
        if isinstance(value, str) and value.isdigit():
            return int(value)
        if isinstance(value, int) and value < 0:
            raise ValueError("a camera index is 0 or more")
        return value


# --- camera + microphone ---------------------------------------------------------------------


class AvCameraConfig(_Model):
    """One camera + microphone in the agent configuration."""

    type: Literal["av_camera"]
    id: PeripheralId
    #: VideoCapture index (``0``), device path (``/dev/video0``), or ``synthetic:<name>``
    device: int | Annotated[str, Field(min_length=1, max_length=512)] = 0
    width: Annotated[int, Field(ge=160, le=8192)] = 640
    height: Annotated[int, Field(ge=120, le=8192)] = 480
    fps: Annotated[float, Field(gt=0, le=120)] = 30.0
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)] = Field(
        default_factory=lambda: [Capability.SNAPSHOT, Capability.VIDEO, Capability.AUDIO]
    )
    model: Annotated[str, Field(max_length=128)] = ""
    #: frames discarded before a snapshot (a UVC camera buffers a few stale ones)
    flush_frames: Annotated[int, Field(ge=0, le=10)] = 1
    jpeg_quality: Annotated[int, Field(ge=10, le=100)] = 85

    @field_validator("device")
    @classmethod
    def _device(cls, value: int | str) -> int | str:
        if isinstance(value, str) and value.isdigit():
            return int(value)
        if isinstance(value, int) and value < 0:
            raise ValueError("a camera index is 0 or more")
        return value


# --- A4 printers -----------------------------------------------------------------------------


class _A4Base(_Model):
    id: PeripheralId
    #: ``copy`` is added by the agent when the device also has a document camera
    capabilities: Annotated[list[Capability], Field(min_length=1, max_length=32)] = Field(
        default_factory=lambda: [Capability.A4_PRINT]
    )
    model: Annotated[str, Field(max_length=128)] = ""
    #: a job not finished on the printer by then is canceled there and reported uncertain
    job_timeout_s: Annotated[float, Field(gt=0, le=3600)] = 300.0


class IppPrinterConfig(_A4Base):
    """An A4 printer speaking IPP / IPP Everywhere (any CUPS queue or network printer)."""

    type: Literal["ipp"]
    #: the printer URI, e.g. ``ipp://192.168.1.20:631/ipp/print`` (``ipps://`` for TLS)
    uri: Annotated[str, Field(pattern=r"^ipps?://[^/\s]+(/\S*)?$", max_length=512)]
    #: how long one IPP request may take
    request_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    #: how often a job's state is asked for while it prints
    poll_interval_s: Annotated[float, Field(gt=0, le=30)] = 0.5
    #: how long the printer may stay unreachable while a job is on it before the job is
    #: reported uncertain (it may have printed, or may still print after a reboot)
    lost_contact_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    #: sent as requesting-user-name (printers show it in their job log)
    user_name: Annotated[str, Field(min_length=1, max_length=64)] = "kfleet"


class A4SpoolConfig(_A4Base):
    """A stand-in A4 printer that writes each job's PDF into a directory (demo, dry runs)."""

    type: Literal["a4_spool"]
    directory: Path


A4Config = IppPrinterConfig | A4SpoolConfig


# --- the registry -----------------------------------------------------------------------------

PeripheralConfig = Annotated[
    EscposNetwork
    | EscposSerial
    | EscposUsb
    | EscposFile
    | IdCardReaderConfig
    | CallButtonSerial
    | RatingPadSerial
    | DocCameraConfig
    | AvCameraConfig
    | IppPrinterConfig
    | A4SpoolConfig,
    Field(discriminator="type"),
]
PERIPHERAL_TYPES = frozenset(
    {
        "escpos_network",
        "escpos_serial",
        "escpos_usb",
        "escpos_file",
        "idcard_ga467",
        "call_button_serial",
        "rating_pad_serial",
        "doc_camera_uvc",
        "av_camera",
        "ipp",
        "a4_spool",
    }
)
