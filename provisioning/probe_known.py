"""The USB ids, interface classes and names that tell which kfleet peripheral a device is.

The id table lists devices seen in halls and in vendor documentation; ids shared by many
products (a USB-serial bridge chip, a vendor that also sells scanners) only narrow the guess,
they never prove it: the technician confirms with ``--query`` (ESC/POS answers) or the driver's
own health check. Add a row when a new model turns up.
"""

from __future__ import annotations

from protocols.escpos.status import is_status_byte
from provisioning.probe_models import Guess

RECEIPT = ("escpos_usb", "ESC/POS receipt printer")
IDCARD = ("idcard_ga467", "ID-card reader (GA 467)")
SERIAL_BRIDGE = ("", "USB-serial adapter (receipt printer, ID-card reader or call button?)")

#: exact "vendor:product" ids
KNOWN_IDS: dict[str, tuple[tuple[str, str], str]] = {
    "04b8:0202": (RECEIPT, "Epson TM-T88 series (TM-T88IV/V/VI)"),
    "04b8:0e15": (RECEIPT, "Epson TM-T20II"),
    "04b8:0e03": (RECEIPT, "Epson TM-T20"),
    "04b8:0e28": (RECEIPT, "Epson TM-T82III"),
    "0416:5011": (RECEIPT, "POS-58/POS-80 thermal printer (Winbond chip: Xprinter, Zjiang)"),
    "0483:5743": (RECEIPT, "POS-80 thermal printer (STM32 chip: Gprinter and others)"),
    "0fe6:811e": (RECEIPT, "POS thermal printer (Kontron chip: Xprinter, Rongta)"),
    "0400:c35a": (IDCARD, "GA 467 reader (id reported for HID ID-card readers; unverified)"),
    "10c4:ea60": (SERIAL_BRIDGE, "Silicon Labs CP210x bridge"),
    "1a86:7523": (SERIAL_BRIDGE, "WCH CH340 bridge"),
    "067b:2303": (SERIAL_BRIDGE, "Prolific PL2303 bridge"),
    "0403:6001": (SERIAL_BRIDGE, "FTDI FT232 bridge"),
}

#: vendors whose every USB device we have seen is a receipt printer
RECEIPT_VENDORS = {"04b8": "Epson"}

USB_CLASS_PRINTER, USB_CLASS_VIDEO = "07", "0e"
_DOC_WORDS = ("document", "doc cam", "visualizer", "高拍仪", "scanner")
_SIM_WORDS = ("kfleet", "kf-escpos-pty")


def by_usb(usb_id: str, classes: set[str], name: str) -> Guess:
    """The guess for a USB device from its id, its interface classes and its product name."""
    if any(w in name.lower() for w in _SIM_WORDS):
        return Guess("", "kfleet simulator", f"name {name!r}")
    if usb_id in KNOWN_IDS:
        (driver, label), model = KNOWN_IDS[usb_id]
        return Guess(driver, label, f"USB id {usb_id}: {model}")
    if USB_CLASS_PRINTER in classes:
        return Guess("escpos_usb", "USB printer (class 07)", "interface class 07 (printer)")
    if USB_CLASS_VIDEO in classes:
        return by_video_name(name, "interface class 0e (UVC video)")
    vendor = usb_id.split(":")[0]
    if vendor in RECEIPT_VENDORS:
        label, driver = RECEIPT[1], RECEIPT[0]
        return Guess(driver, label, f"vendor {vendor} ({RECEIPT_VENDORS[vendor]})")
    return Guess("", "unknown", f"USB id {usb_id or '?'} is not in the table")


def by_video_name(name: str, why: str) -> Guess:
    """A video device: a document camera if its name says so, else a counter camera."""
    lowered = name.lower()
    if any(w in lowered for w in _SIM_WORDS):
        return Guess("", "kfleet simulator", f"name {name!r}")
    if any(w in lowered for w in _DOC_WORDS):
        return Guess("doc_camera_uvc", "document camera", f"{why}; name {name!r}")
    return Guess("doc_camera_uvc", "camera (UVC; doc camera or av_camera)", why)


def by_escpos_answer(reply: bytes) -> Guess | None:
    """The guess from what a port answered to ``DLE EOT 1``; None if it said nothing useful."""
    if len(reply) == 1 and is_status_byte(reply[0]):
        return Guess(
            "escpos_serial", "answers like an ESC/POS printer", f"DLE EOT 1 → 0x{reply[0]:02x}"
        )
    return None
