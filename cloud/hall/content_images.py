"""Checks on an uploaded floor plan or staff photo before it becomes a blob screens show.

A raster image must be PNG, JPEG or WebP by its magic bytes, declare a pixel size within the
limit in its header (read before decoding, so a small file claiming 60000 × 60000 pixels is
refused without allocating them), and decode whole with OpenCV at that size. An SVG must parse
as XML without a DTD or entities, be an ``<svg>`` document, and hold no script, no event-handler
attribute and no reference outside itself (screens and the console show it; it must not act).
Every refusal says what was wrong, why, and what to do.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from cloud.errors import CloudError
from cloud.hall.content_svg import ImageInvalid, svg_size

__all__ = [
    "CheckedImage",
    "ImageInvalid",
    "ImageLimits",
    "ImageTooLarge",
    "NotAnImage",
    "check_image",
    "sniff",
]


class ImageTooLarge(CloudError):
    """More bytes than the route accepts (HTTP 413)."""

    status_code = 413


class NotAnImage(CloudError):
    """Not a PNG, JPEG, WebP or SVG file at all (HTTP 415)."""

    status_code = 415


@dataclass(frozen=True, slots=True)
class ImageLimits:
    max_bytes: int
    max_side: int  # pixels, either axis


@dataclass(frozen=True, slots=True)
class CheckedImage:
    media_type: str
    width: int
    height: int


def _skip(head: bytes, opener: bytes, closer: bytes) -> bytes | None:
    """``head`` past the construct that starts it and ends with ``closer`` (None: unclosed)."""
    end = head.find(closer, len(opener))
    return None if end < 0 else head[end + len(closer) :].lstrip()


def _looks_like_svg(head: bytes) -> bool:
    """An ``<svg`` root after an optional BOM, XML declaration, comments and DOCTYPE (the
    DOCTYPE is refused later, with its reason). A linear scan: no regex to backtrack on."""
    rest: bytes | None = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    while rest:
        if rest.startswith(b"<?xml"):
            rest = _skip(rest, b"<?xml", b"?>")
        elif rest.startswith(b"<!--"):
            rest = _skip(rest, b"<!--", b"-->")
        elif rest.startswith(b"<!DOCTYPE"):
            bracket, close = rest.find(b"["), rest.find(b">")
            inner = 0 <= bracket < close
            rest = _skip(rest, b"<!DOCTYPE", b"]>" if inner else b">")
        else:
            return rest.startswith(b"<svg") and rest[4:5] in (b" ", b"\t", b"\n", b"\r", b">", b"/")
    return False


def sniff(data: bytes) -> str | None:
    """The media type the bytes are, by their magic (None: none we accept)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _looks_like_svg(data[:4096]):
        return "image/svg+xml"
    return None


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    w, h = struct.unpack(">II", data[16:24])
    return int(w), int(h)


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(w), int(h)
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        w = int.from_bytes(data[24:27], "little") + 1
        h = int.from_bytes(data[27:30], "little") + 1
        return w, h
    if chunk == b"VP8 " and len(data) >= 30:
        w, h = struct.unpack("<HH", data[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


_HEADER_SIZE = {"image/png": _png_size, "image/jpeg": _jpeg_size, "image/webp": _webp_size}


def check_image(data: bytes, limits: ImageLimits, what: str) -> CheckedImage:
    """The image's type and pixel size, or a precise refusal (``what``: "the floor plan")."""
    if len(data) > limits.max_bytes:
        raise ImageTooLarge(
            f"{what} is {len(data)} bytes, more than the {limits.max_bytes} accepted: export "
            "it smaller (a PNG or WebP of the plan at screen resolution is plenty) and upload again"
        )
    media = sniff(data)
    if media is None:
        raise NotAnImage(
            f"{what} is not a PNG, JPEG, WebP or SVG image (its first bytes match none of "
            "them): export the plan as one of these and upload that file"
        )
    if media == "image/svg+xml":
        w, h = svg_size(data, what)
        return CheckedImage(media, w, h)
    size = _HEADER_SIZE[media](data)
    if size is None or min(size) < 1:
        raise ImageInvalid(
            f"{what} starts like a {media} file but its header is damaged (no readable pixel "
            "size): the file is truncated or corrupt; export it again"
        )
    _check_side(size, limits, what)
    return CheckedImage(media, *_decode(data, media, size, what))


def _check_side(size: tuple[int, int], limits: ImageLimits, what: str) -> None:
    if max(size) > limits.max_side:
        raise ImageInvalid(
            f"{what} is {size[0]} × {size[1]} pixels; at most {limits.max_side} pixels on "
            "each side are accepted (screens cannot show more): scale it down and upload again"
        )


def _decode(data: bytes, media: str, size: tuple[int, int], what: str) -> tuple[int, int]:
    import cv2  # here, not at import: the cloud loads OpenCV only when an image is uploaded
    import numpy as np

    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ImageInvalid(
            f"{what} says it is {media} but does not decode (truncated or corrupt data): "
            "export it again and upload the new file"
        )
    h, w = int(image.shape[0]), int(image.shape[1])
    if (w, h) != size:
        raise ImageInvalid(
            f"{what} declares {size[0]} × {size[1]} pixels but decodes to {w} × {h}: the file "
            "is inconsistent; export it again"
        )
    return w, h
