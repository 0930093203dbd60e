"""Peripheral drivers: one module per kind, all behind the narrow interfaces in ``base``.

Hardware libraries (python-escpos, pyserial, pyusb) are imported only inside driver modules;
``build_printer`` imports the driver lazily so loading a config never touches them.
"""

from __future__ import annotations

from edge_agent.config import PeripheralConfig
from edge_agent.drivers.base import PrinterStatus, PrintReport, ReceiptPrinter, health_of

__all__ = ["PrintReport", "PrinterStatus", "ReceiptPrinter", "build_printer", "health_of"]


def build_printer(cfg: PeripheralConfig) -> ReceiptPrinter:
    """The driver for one configured peripheral (every type today is an ESC/POS printer)."""
    from edge_agent.drivers.receipt_escpos import EscPosReceiptPrinter

    return EscPosReceiptPrinter(cfg)
