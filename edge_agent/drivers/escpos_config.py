"""Configuration of the ESC/POS receipt printers (hardware-free: no python-escpos here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from edge_agent.drivers.config import Capabilities, DriverConfig, PeripheralId, offers
from protocols.jobs import Capability


class _PrinterBase(DriverConfig):
    id: PeripheralId
    capabilities: Capabilities = offers(Capability.RECEIPT)
    #: required: a printer that does not answer DLE EOT is refused before printing;
    #: best_effort: print anyway (the result is then ``uncertain`` unless it answers after)
    status: Literal["required", "best_effort"] = "required"
    #: how long to wait for the one-byte real-time status reply
    status_timeout_s: Annotated[float, Field(gt=0, le=30)] = 1.0
    model: Annotated[str, Field(max_length=128)] = ""
    #: the paper roll: 80 mm (576 dots printable) or 58 mm (384); a receipt's proof is drawn
    #: at this width
    paper_mm: Literal[58, 80] = 80


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
