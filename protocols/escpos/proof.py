"""A printed receipt's proof: the exact ESC/POS bytes sent to the printer, packed to travel in
a job's result, and drawn as the paper shows them (a PNG at the printer's dot width).

The agent keeps the bytes (cheap: a hash and a zlib pass); the cloud draws them the first
time someone looks (issue 17: drawing cost the agent about 3.5 ms of CPU per receipt). Both
sides use this module, so what the cloud draws is exactly what the agent would have drawn.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

from protocols.escpos.layout import PAPER_80MM

#: the encoding of ``proof.escpos`` in a receipt job's result: base64 of the zlib stream
PACKING = "zlib+base64"
#: the largest ESC/POS stream unpacked (a receipt's bytes are a few KiB; a logo tens)
MAX_SENT_BYTES = 1024 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ProofUnreadable(ValueError):
    """Packed bytes that are not base64 of a zlib stream of at most ``MAX_SENT_BYTES``."""


def pack_sent(sent: bytes) -> str:
    """``sent`` as ASCII text for a JSON result: zlib (level 6), then base64."""
    return base64.b64encode(zlib.compress(sent, 6)).decode("ascii")


def unpack_sent(packed: str, max_bytes: int = MAX_SENT_BYTES) -> bytes:
    """The bytes :func:`pack_sent` packed; :class:`ProofUnreadable` (saying why) if they are
    not, or unpack to more than ``max_bytes`` (a small zlib stream can claim gigabytes)."""
    try:
        squeezed = base64.b64decode(packed.encode("ascii"), validate=True)
        inflater = zlib.decompressobj()
        sent = inflater.decompress(squeezed, max_bytes)
    except (UnicodeEncodeError, binascii.Error, zlib.error) as err:
        raise ProofUnreadable(f"the packed bytes are not {PACKING}: {err}") from err
    if inflater.unconsumed_tail:
        raise ProofUnreadable(f"the packed bytes unpack to more than {max_bytes} bytes")
    if not inflater.eof:
        raise ProofUnreadable(f"the packed bytes end before their {PACKING} stream does")
    return sent


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError if it is not a PNG."""
    if len(png) < 24 or not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("the renderer did not return a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def render_proof(sent: bytes, paper_dots: int = PAPER_80MM) -> bytes:
    """The PNG of what ``sent`` puts on paper ``paper_dots`` wide (``protocols.escpos.paper``):
    the printable area only, one pixel per dot, so the image is exactly the paper's width.
    Every receipt of the stream (copies, cuts) on one strip, as the roll printed them."""
    # the decoder, NumPy and Pillow load with the first proof drawn, not with the agent
    from protocols.escpos.paper import receipt_png
    from protocols.escpos.receipts import Receipt, decode_receipts

    parts = decode_receipts(sent, paper_dots=paper_dots)
    items = [item for part in parts for item in part.items]
    return receipt_png(Receipt(items=items, paper_dots=paper_dots), edges=False)
