"""ESC/POS events: what a receipt printer's byte stream means, one dataclass per kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

Align = Literal["left", "center", "right"]


@dataclass(frozen=True, slots=True)
class Text:
    """Printable text (HT included), decoded."""

    text: str


@dataclass(frozen=True, slots=True)
class Feed:
    """Print the line buffer and feed ``lines`` lines (LF = 1, ``ESC d n``); 0 = ``ESC J``."""

    lines: int


@dataclass(frozen=True, slots=True)
class Init:
    """``ESC @``: clear the line buffer, reset modes to power-on state."""


@dataclass(frozen=True, slots=True)
class Style:
    """A print-mode change; ``None`` fields are unchanged (``ESC !``, ``ESC E/-/a``, ``GS !``)."""

    align: Align | None = None
    bold: bool | None = None
    underline: int | None = None
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True, slots=True)
class CodePage:
    """``ESC t n``: single-byte code page ``number``, decoded with Python codec ``encoding``."""

    number: int
    encoding: str


@dataclass(frozen=True, slots=True)
class ChineseMode:
    """``FS &`` (enabled) / ``FS .`` (disabled)."""

    enabled: bool


@dataclass(frozen=True, slots=True)
class QrCode:
    """``GS ( k`` print (fn 81) of the stored QR data."""

    data: str
    size: int
    error_correction: str


@dataclass(frozen=True, slots=True)
class Barcode:
    """``GS k``: a 1-D barcode of symbology ``system``."""

    system: int
    data: str


@dataclass(frozen=True, slots=True)
class Cut:
    """``GS V`` (any function) or legacy ``ESC i`` / ``ESC m``."""

    partial: bool


@dataclass(frozen=True, slots=True)
class StatusQuery:
    """``DLE EOT n``: the host expects one real-time status byte back."""

    n: int


@dataclass(frozen=True, slots=True)
class Command:
    """A recognised command that does not change the decoded text (image, beep, spacing...)."""

    name: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class Unknown:
    """Bytes that are not a known command."""

    raw: bytes


Event: TypeAlias = (
    Text | Feed | Init | Style | CodePage | ChineseMode | QrCode | Barcode | Cut | StatusQuery
    | Command | Unknown
)  # fmt: skip
