"""A fake ``/sys`` + ``/dev`` tree for the probe tests: the files the kernel would show for a
few devices, under ``tmp_path``."""

from __future__ import annotations

from pathlib import Path


def usb(root: Path, bus_id: str, vid: str, pid: str, product: str, classes: list[str]) -> Path:
    """A USB device directory with one interface directory per class."""
    dev = root / "sys/bus/usb/devices" / bus_id
    dev.mkdir(parents=True)
    for name, value in (("idVendor", vid), ("idProduct", pid), ("product", product)):
        (dev / name).write_text(value + "\n")
    for i, cls in enumerate(classes):
        intf = dev / f"{bus_id}:1.{i}"
        intf.mkdir()
        (intf / "bInterfaceClass").write_text(cls + "\n")
    return dev


def video(root: Path, node: str, name: str) -> None:
    (root / "dev").mkdir(parents=True, exist_ok=True)
    (root / "dev" / node).touch()
    sysdir = root / "sys/class/video4linux" / node
    sysdir.mkdir(parents=True)
    (sysdir / "name").write_text(name + "\n")


def serial(root: Path, tty: str, usb_dev: Path) -> None:
    """A tty whose ``device`` link points at an interface of ``usb_dev``, as for ttyUSB0."""
    (root / "dev").mkdir(parents=True, exist_ok=True)
    (root / "dev" / tty).touch()
    tty_dir = root / "sys/class/tty" / tty
    tty_dir.mkdir(parents=True)
    (tty_dir / "device").symlink_to(usb_dev / f"{usb_dev.name}:1.0")


def hall_kiosk(root: Path) -> Path:
    """An Epson TM-T88 (with its lp node), a UVC document camera, a CH340 serial adapter on
    ttyUSB0, a hub, and a device nobody knows."""
    usb(root, "1-1", "04b8", "0202", "TM-T88V", ["07"])
    (root / "dev/usb").mkdir(parents=True)
    (root / "dev/usb/lp0").touch()
    usb(root, "1-2", "2b16", "6689", "Document Camera", ["0e", "0e"])
    video(root, "video0", "Document Camera: HD")
    bridge = usb(root, "1-3", "1a86", "7523", "USB Serial", ["ff"])
    serial(root, "ttyUSB0", bridge)
    usb(root, "usb1", "1d6b", "0002", "EHCI Host Controller", ["09"])
    usb(root, "1-4", "abcd", "1234", "Mystery Gadget", ["ff"])
    return root
