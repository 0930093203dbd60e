"""Devices on this machine, read from sysfs and /dev under an injectable ``root`` (``/`` on a
device, a fake tree in the tests): USB devices, video devices, USB printer nodes, serial ports.
Reading only: nothing here writes to a device (``probe_escpos`` does, and only when asked)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from provisioning.probe_known import by_usb, by_video_name
from provisioning.probe_models import Finding, Guess, Kind

ROOT = Path("/")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _usb_identity(dev: Path) -> tuple[str, str, set[str]]:
    """(vvvv:pppp, "maker product", interface classes) of a sysfs USB device directory."""
    vid, pid = _read(dev / "idVendor").lower(), _read(dev / "idProduct").lower()
    usb_id = f"{vid}:{pid}" if vid and pid else ""
    name = " ".join(p for p in (_read(dev / "manufacturer"), _read(dev / "product")) if p)
    classes = {_read(i / "bInterfaceClass").lower() for i in dev.glob(f"{dev.name}:*")}
    return usb_id, name, classes - {""}


def usb_devices(root: Path = ROOT) -> list[Finding]:
    """Every USB device (not hubs' interfaces) under ``root/sys/bus/usb/devices``."""
    found = []
    for dev in sorted((root / "sys/bus/usb/devices").glob("*")):
        if ":" in dev.name or not (dev / "idVendor").exists():
            continue
        usb_id, name, classes = _usb_identity(dev)
        if classes == {"09"}:  # a hub: the technician did not plug it in for kfleet
            continue
        detail = {"interface_classes": ",".join(sorted(classes))}
        found.append(
            Finding(Kind.USB, dev.name, name, usb_id, by_usb(usb_id, classes, name), detail)
        )
    return found


def video_devices(root: Path = ROOT) -> list[Finding]:
    """``/dev/video*`` with the name the kernel gives them in ``/sys/class/video4linux``."""
    found = []
    for node in sorted((root / "dev").glob("video*")):
        name = _read(root / "sys/class/video4linux" / node.name / "name")
        guess = by_video_name(name, "a V4L2 video node")
        found.append(Finding(Kind.VIDEO, str(node), name, guess=guess))
    return found


def usb_printer_nodes(root: Path = ROOT) -> list[Finding]:
    """``/dev/usb/lp*``: kernel printer nodes (the ``escpos_file`` driver type)."""
    guess = Guess("escpos_file", "USB printer node", "a /dev/usb/lp* node (usblp driver)")
    return [
        Finding(Kind.USB_PRINTER_NODE, str(n), guess=guess)
        for n in sorted((root / "dev/usb").glob("lp*"))
    ]


def _sysfs_ports(root: Path) -> list[Any]:
    """Serial ports as pyserial would list them, read from ``root`` (for a fake tree)."""
    ports = []
    for tty in sorted((root / "sys/class/tty").glob("*")):
        device = tty / "device"
        if not device.exists():
            continue
        usb = device.resolve().parent
        usb_id, name, _ = _usb_identity(usb)
        ports.append(_Port(str(root / "dev" / tty.name), usb_id, name))
    return ports


class _Port:
    """The fields of pyserial's ``ListPortInfo`` that the probe reads."""

    def __init__(self, device: str, usb_id: str, product: str) -> None:
        self.device, self.product, self.description = device, product, product
        vid, _, pid = usb_id.partition(":")
        self.vid = int(vid, 16) if vid else None
        self.pid = int(pid, 16) if pid else None


def _pyserial_ports() -> list[Any]:
    from serial.tools import list_ports

    return list(list_ports.comports())


def _plain_serial(name: str) -> Guess:
    """A port without a USB id: a built-in UART or a pty; only its answer can tell more."""
    guess = by_usb("", set(), name)
    if guess.label != "unknown":
        return guess
    return Guess("", "serial port", "no USB id (built-in UART or pty): try --query")


def serial_ports(
    root: Path = ROOT, extra: Iterable[str] = (), lister: Callable[[], list[Any]] | None = None
) -> list[Finding]:
    """Serial ports (pyserial's list on the real root, sysfs under a fake one), plus ``extra``
    paths (ptys, ``/dev/serial/by-id`` links) the technician names."""
    ports = (lister or (_pyserial_ports if root == ROOT else lambda: _sysfs_ports(root)))()
    found = []
    for port in ports:
        usb_id = (
            f"{port.vid:04x}:{port.pid:04x}"
            if port.vid is not None and port.pid is not None
            else ""
        )
        name = str(port.product or port.description or "")
        if name == "n/a":
            name = ""
        guess = by_usb(usb_id, set(), name) if usb_id else _plain_serial(name)
        found.append(Finding(Kind.SERIAL, str(port.device), name, usb_id, guess))
    for path in extra:
        found.append(
            Finding(Kind.SERIAL, path, "given on the command line", guess=by_usb("", set(), path))
        )
    return found


def local_devices(root: Path = ROOT, extra_ports: Iterable[str] = ()) -> list[Finding]:
    """Everything the machine shows: serial, video, USB devices, USB printer nodes."""
    return [
        *serial_ports(root, extra_ports),
        *video_devices(root),
        *usb_devices(root),
        *usb_printer_nodes(root),
    ]
