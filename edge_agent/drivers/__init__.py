"""Peripheral drivers: one module per driver, each implementing the peripheral interface
(:mod:`edge_agent.drivers.interface`) itself and declaring ``DRIVER`` (a
:class:`~edge_agent.drivers.base.DriverSpec`: the config types it drives, its kind, its
config model from a hardware-free ``<family>_config.py``, the class built from a config).

Hardware libraries (python-escpos, pyserial, pyipp, OpenCV) are imported only inside driver
modules, and driver modules only when a peripheral of theirs is configured (the lazy table
in :mod:`edge_agent.peripherals.registry`), so loading a config never touches them.
"""

from __future__ import annotations

from edge_agent.drivers.base import PrinterStatus, PrintReport, ReceiptPrinter, health_of
from edge_agent.drivers.escpos_config import EscposConfig

__all__ = ["PrintReport", "PrinterStatus", "ReceiptPrinter", "build_printer", "health_of"]


def build_printer(cfg: EscposConfig) -> ReceiptPrinter:
    """The driver for one configured ESC/POS receipt printer."""
    from edge_agent.drivers.receipt_escpos import EscPosReceiptPrinter

    return EscPosReceiptPrinter(cfg)
