"""What ``kfleet provision probe`` found: one :class:`Finding` per device or node, plain data
so the table, the JSON and the tests all read the same thing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """Where a device was seen."""

    SERIAL = "serial"
    VIDEO = "video"
    USB = "usb"
    USB_PRINTER_NODE = "usb_lp"
    IPP = "ipp"


@dataclass(frozen=True, slots=True)
class Guess:
    """Which kfleet peripheral a device looks like, and why we think so."""

    driver: str  # a kfleet driver type (``escpos_usb``, ``doc_camera_uvc``...) or "" if unknown
    label: str  # what it is, in words
    why: str  # the evidence: a USB id, an interface class, a name, an answer


UNKNOWN = Guess("", "unknown", "no known id, class or name")


@dataclass(frozen=True, slots=True)
class Finding:
    """One device: where it is, who made it, and what it looks like to kfleet."""

    kind: Kind
    where: str  # a device node, a sysfs name, or a URI
    name: str = ""
    usb_id: str = ""  # "vvvv:pppp", lower-case hex, when known
    guess: Guess = UNKNOWN
    detail: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return asdict(self)
