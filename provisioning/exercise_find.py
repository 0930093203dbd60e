"""Which device a ``kfleet provision test`` exercises: the one named on the command line, else
the one the agent's config names (``--config agent.toml``: a pass then means exactly that
config works), else the one ``kfleet provision probe`` finds on this machine.

None means "no such hardware here" (the caller says so and exits 0); a device named on the
command line that is not there, or a choice between several, is a :class:`TestFailed`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar, cast

from edge_agent.config import load_config
from edge_agent.drivers.a4_config import IppPrinterConfig
from edge_agent.drivers.camera_config import AvCameraConfig, DocCameraConfig
from edge_agent.drivers.config import DriverConfig
from edge_agent.drivers.escpos_config import (
    EscposConfig,
    EscposFile,
    EscposNetwork,
    EscposSerial,
    EscposUsb,
)
from edge_agent.drivers.idcard_config import IdCardReaderConfig
from edge_agent.drivers.serial_config import CallButtonSerial, RatingPadSerial
from edge_agent.errors import ConfigError
from provisioning.exercise_result import PROBE_HINT, Exit, TestFailed
from provisioning.probe_local import serial_ports, usb_devices, usb_printer_nodes, video_devices
from provisioning.probe_models import Finding

C = TypeVar("C", bound=DriverConfig)
SerialConfig = TypeVar("SerialConfig", CallButtonSerial, RatingPadSerial, IdCardReaderConfig)

#: the peripheral id the tests' configs use (it shows in the drivers' messages)
TEST_ID = "test"


def present(path: str, what: str) -> str:
    """``path`` if something is there; NOT_FOUND (a device was named, so it must exist)."""
    if not os.path.exists(path):
        raise TestFailed(
            Exit.NOT_FOUND,
            f"no {what} at {path}: nothing is there (unplugged, switched off, or a wrong "
            f"path); check the cable and the path, or {PROBE_HINT}",
        )
    return path


def configured(config: Path | None, kind: type[C] | tuple[type[C], ...]) -> C | None:
    """The first peripheral of ``kind`` in the agent config at ``config`` (None if none)."""
    if config is None:
        return None
    try:
        agent = load_config(config)
    except ConfigError as err:
        raise TestFailed(Exit.USAGE, f"the agent config cannot be used: {err}") from err
    for peripheral in agent.peripherals:
        if isinstance(peripheral, kind):
            return peripheral
    raise TestFailed(
        Exit.NOT_FOUND,
        f"{config} configures no peripheral of this kind; name the device on the command "
        f"line, or {PROBE_HINT}",
    )


def escpos_for(port: str, baud: int) -> EscposConfig:
    """A receipt printer on ``port``: a kernel printer node (``/dev/usb/lp*``) is a device
    file; anything else (ttyUSB, ttyS, a by-id link, a pty) a serial port."""
    if "/usb/lp" in os.path.realpath(port):
        return EscposFile(type="escpos_file", id=TEST_ID, path=Path(port))
    return EscposSerial(type="escpos_serial", id=TEST_ID, device=port, baudrate=baud)


def found_printer(root: Path) -> EscposConfig | None:
    """A USB printer node, else a USB device that looks like an ESC/POS printer."""
    nodes = usb_printer_nodes(root)
    if nodes:
        return EscposFile(type="escpos_file", id=TEST_ID, path=Path(nodes[0].where))
    for dev in usb_devices(root):
        if dev.guess.driver == "escpos_usb" and dev.usb_id:
            vid, pid = (int(x, 16) for x in dev.usb_id.split(":"))
            return EscposUsb(type="escpos_usb", id=TEST_ID, vendor_id=vid, product_id=pid)
    return None


def printer_target(
    root: Path, port: str | None, ipp: str | None, baud: int, config: Path | None
) -> EscposConfig | IppPrinterConfig | None:
    if ipp:
        return IppPrinterConfig(type="ipp", id=TEST_ID, uri=ipp, job_timeout_s=120)
    if port:
        return escpos_for(present(port, "receipt printer"), baud)
    if config is None:
        return found_printer(root)
    kinds = (EscposSerial, EscposFile, EscposUsb, EscposNetwork, IppPrinterConfig)
    return cast("EscposConfig | IppPrinterConfig", configured(config, kinds))


def one_of(found: list[Finding], what: str, option: str) -> str | None:
    """The only candidate's path; None if there is none; USAGE if there are several."""
    if not found:
        return None
    if len(found) > 1:
        listed = ", ".join(f.where for f in found)
        raise TestFailed(
            Exit.USAGE,
            f"{len(found)} candidates for the {what}: {listed}; say which with {option}",
        )
    return found[0].where


def serial_target(
    root: Path,
    port: str | None,
    what: str,
    baud: int,
    config: Path | None = None,
    kind: type[SerialConfig] | None = None,
) -> tuple[str, int] | None:
    """(port, baud rate) of the call button / rating pad / ID-card reader: ``--port``, else
    the agent config's, else the machine's only serial port."""
    if port:
        return present(port, what), baud
    if config is not None and kind is not None:
        cfg = configured(config, kind)
        assert cfg is not None  # configured() raises when there is none
        return present(cfg.port, what), cfg.baudrate
    found = one_of(serial_ports(root), what, "--port")
    return None if found is None else (found, baud)


def video_target(
    root: Path,
    device: str | None,
    document: bool,
    size: tuple[int, int],
    config: Path | None = None,
) -> tuple[int | str, tuple[int, int]] | None:
    """(device, frame size) of the camera: ``--device``, else the agent config's, else the
    machine's document camera (``document``) or other camera."""
    if device is not None:
        if device.isdigit():
            return int(device), size
        return (device if ":" in device else present(device, "camera")), size
    if config is not None:
        kind = DocCameraConfig if document else AvCameraConfig
        cfg = configured(config, kind)
        assert cfg is not None
        where = cfg.device
        if isinstance(where, str) and ":" not in where:
            present(where, "camera")
        return where, (cfg.width, cfg.height)
    found = video_devices(root)
    doc = [f for f in found if f.guess.label == "document camera"]
    other = [f for f in found if f.guess.label != "document camera"]
    chosen = (doc or other) if document else (other or doc)
    what = "document camera" if document else "camera"
    picked = one_of(chosen, what, "--device")
    return None if picked is None else (picked, size)
