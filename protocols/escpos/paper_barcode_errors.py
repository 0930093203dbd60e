"""The one error barcode encoding raises (shared by ``paper_barcode`` and ``paper_code128``)."""

from __future__ import annotations


class BarcodeError(ValueError):
    """The printer would not print this barcode (wrong characters or length)."""
