"""``ESC *`` strips that share one printed line, composed into a single raster image."""

from __future__ import annotations

from protocols.escpos.layout import RasterImage


def compose(images: list[RasterImage]) -> RasterImage:
    """One image covering every strip on the line (each at its own x), tops aligned."""
    if len(images) == 1:
        return images[0]
    left = min(i.x for i in images)
    width = max(i.x + i.width for i in images) - left
    height = max(i.height for i in images)
    stride = (width + 7) // 8
    canvas = bytearray(stride * height)
    for image in images:
        src = (image.width + 7) // 8
        for y in range(image.height):
            for x in range(image.width):
                if image.rows[y * src + x // 8] >> (7 - x % 8) & 1:
                    dx = image.x - left + x
                    canvas[y * stride + dx // 8] |= 0x80 >> (dx % 8)
    return RasterImage(width, height, bytes(canvas), left, "left", images[0].source)
