"""``kfleet provision probe`` on a fake /sys and /dev tree: each device is found and classified
(an Epson receipt printer, a UVC document camera, a USB-serial adapter, an unknown device),
hubs are left out, and an empty machine says so plainly and exits 0."""

from __future__ import annotations

import json
from pathlib import Path

from serial.tools.list_ports_common import ListPortInfo
from typer.testing import CliRunner

from kfleet.cli import app
from provisioning.probe_known import by_usb
from provisioning.probe_local import local_devices, serial_ports
from provisioning.probe_models import Kind
from provisioning.probe_report import NOTHING
from tests.provisioning.probe_tree import hall_kiosk, usb

runner = CliRunner()


def _by_where(root: Path) -> dict[str, tuple[Kind, str, str, str]]:
    found = local_devices(hall_kiosk(root))
    return {f.where: (f.kind, f.usb_id, f.guess.driver, f.guess.label) for f in found}


def test_each_device_of_a_kiosk_is_classified(tmp_path: Path) -> None:
    seen = _by_where(tmp_path)
    receipt = "ESC/POS receipt printer"
    assert seen["1-1"] == (Kind.USB, "04b8:0202", "escpos_usb", receipt)
    assert seen[str(tmp_path / "dev/usb/lp0")][2] == "escpos_file"
    assert seen["1-2"][2:] == ("doc_camera_uvc", "document camera")
    assert seen[str(tmp_path / "dev/video0")][2:] == ("doc_camera_uvc", "document camera")
    assert seen[str(tmp_path / "dev/ttyUSB0")][:2] == (Kind.SERIAL, "1a86:7523")
    assert "USB-serial adapter" in seen[str(tmp_path / "dev/ttyUSB0")][3]
    assert seen["1-4"] == (Kind.USB, "abcd:1234", "", "unknown")
    assert "usb1" not in seen  # the root hub is not a peripheral


def test_a_printer_is_known_by_its_class_and_a_reader_by_its_id() -> None:
    assert by_usb("1234:5678", {"07"}, "Thermal").driver == "escpos_usb"
    assert by_usb("0400:c35a", {"03"}, "").driver == "idcard_ga467"
    assert by_usb("04b8:0e99", set(), "").label == "ESC/POS receipt printer"  # Epson vendor
    assert by_usb("1234:5678", {"0e"}, "USB2.0 HD UVC WebCam").label.startswith("camera")
    assert by_usb("1234:5678", set(), "kfleet sim").label == "kfleet simulator"


def test_the_table_names_each_device_and_its_kfleet_type(tmp_path: Path) -> None:
    result = runner.invoke(app, ["provision", "probe", "--sysfs-root", str(hall_kiosk(tmp_path))])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["KIND", "WHERE", "USB", "ID"][:3]
    [epson] = [line for line in lines if line.startswith("usb ") and "04b8:0202" in line]
    assert "escpos_usb" in epson and "TM-T88" in epson
    [mystery] = [line for line in lines if "abcd:1234" in line]
    assert "unknown" in mystery


def test_json_lists_every_device_with_its_guess(tmp_path: Path) -> None:
    root = hall_kiosk(tmp_path)
    result = runner.invoke(app, ["provision", "probe", "--sysfs-root", str(root), "--json"])
    assert result.exit_code == 0, result.output
    devices = json.loads(result.output)["devices"]
    by_where = {d["where"]: d for d in devices}
    assert by_where["1-1"]["guess"]["driver"] == "escpos_usb"
    assert by_where["1-1"]["kind"] == "usb"
    assert by_where[str(root / "dev/video0")]["name"] == "Document Camera: HD"
    assert len(devices) == 7  # 4 USB devices (the hub left out), video0, lp0, ttyUSB0


def test_a_machine_without_hardware_says_so_and_exits_0(tmp_path: Path) -> None:
    result = runner.invoke(app, ["provision", "probe", "--sysfs-root", str(tmp_path)])
    assert (result.exit_code, result.output.strip()) == (0, NOTHING)
    result = runner.invoke(app, ["provision", "probe", "--sysfs-root", str(tmp_path), "--json"])
    assert (result.exit_code, json.loads(result.output)) == (0, {"devices": []})


def test_a_hub_only_machine_is_empty(tmp_path: Path) -> None:
    usb(tmp_path, "usb1", "1d6b", "0002", "xHCI Host Controller", ["09"])
    assert local_devices(tmp_path) == []


def test_pyserial_ports_are_classified_by_their_usb_id() -> None:
    bridge = ListPortInfo("/dev/ttyUSB3")
    bridge.vid, bridge.pid, bridge.product = 0x10C4, 0xEA60, "CP2102 USB to UART"
    uart = ListPortInfo("/dev/ttyS0")
    found = {f.where: f for f in serial_ports(lister=lambda: [bridge, uart])}
    assert found["/dev/ttyUSB3"].usb_id == "10c4:ea60"
    assert "USB-serial adapter" in found["/dev/ttyUSB3"].guess.label
    assert (found["/dev/ttyS0"].usb_id, found["/dev/ttyS0"].guess.label) == ("", "serial port")
