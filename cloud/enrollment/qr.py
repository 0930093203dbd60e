"""The enrollment QR code as SVG, made server-side with segno (no script, no CDN)."""

from __future__ import annotations

import segno


def qr_svg(text: str) -> str:
    """A standalone SVG of ``text``'s QR code (error correction M, quiet zone 4)."""
    code = segno.make_qr(text, error="m")
    svg: str = code.svg_inline(scale=4, border=4, dark="#000", light="#fff")
    return svg
