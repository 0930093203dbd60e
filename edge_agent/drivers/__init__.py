"""Peripheral drivers: one module per kind, all behind the narrow interfaces in ``base``.

Hardware libraries (python-escpos, pyserial, pyusb, OpenCV) are imported only inside driver
modules; ``build_printer`` (and the agent's registry, ``edge_agent.peripherals.
build_peripheral``) import the driver lazily so loading a config never touches them.
"""

from __future__ import annotations

from edge_agent.drivers.base import PrinterStatus, PrintReport, ReceiptPrinter, health_of
from edge_agent.drivers.config import EscposConfig

__all__ = ["PrintReport", "PrinterStatus", "ReceiptPrinter", "build_printer", "health_of"]


def build_printer(cfg: EscposConfig) -> ReceiptPrinter:
    """The driver for one configured ESC/POS receipt printer."""
    from edge_agent.drivers.receipt_escpos import EscPosReceiptPrinter

    return EscPosReceiptPrinter(cfg)
