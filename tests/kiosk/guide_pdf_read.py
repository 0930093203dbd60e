"""Reading a printed guide back: its text (pypdf) and its one QR code, rebuilt from the
vector squares the page draws (the bulk sheet's reader, ``tests.provisioning.pdf_qr``)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from tests.provisioning.pdf_qr import _decode, _squares


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdf_qr(data: bytes) -> str:
    """The text of the QR code on the first page ('' when none is read)."""
    reader = PdfReader(io.BytesIO(data))
    squares = _squares(reader.pages[0], reader)
    return _decode(squares) if squares else ""
