"""The sheet a receipt is drawn on: the printable width in dots, with a strip either side.

Pixel values mean something, so tests can tell ink from annotations: ``INK`` (0) is a dot the
print head burned, ``PAPER`` (255) is blank paper, ``EDGE`` (the strips left and right of the
printable area, and the desk below the paper after the last cut) and ``MARK`` (the dashed cut
line and scissors, drawn by the renderer to show where the cutter acted) are greys that no
printed dot ever has. Printing outside the printable area is lost, as on a printer.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Canvas = npt.NDArray[np.uint8]
Bitmap = npt.NDArray[np.bool_]

INK = 0
PAPER = 255
EDGE = 200
MARK = 120
#: width in pixels of the strip drawn left and right of the printable area
MARGIN = 8


class Sheet:
    """A greyscale canvas ``height`` rows tall; x = 0 is the printable area's left edge."""

    def __init__(self, paper_dots: int, height: int) -> None:
        self.paper_dots = paper_dots
        self.pixels: Canvas = np.full((height, paper_dots + 2 * MARGIN), PAPER, dtype=np.uint8)
        self.pixels[:, :MARGIN] = EDGE
        self.pixels[:, MARGIN + paper_dots :] = EDGE

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def _clip(self, y: int, x: int, h: int, w: int) -> tuple[int, int, int, int] | None:
        """The part of the box (y, x, h, w) inside the printable area, as (y0, y1, x0, x1)."""
        y0, y1 = max(y, 0), min(y + h, self.height)
        x0, x1 = max(x, 0), min(x + w, self.paper_dots)
        if y0 >= y1 or x0 >= x1:
            return None
        return y0, y1, x0, x1

    def ink(self, y: int, x: int, bits: Bitmap, value: int = INK) -> None:
        """Burn the True dots of ``bits`` with its top-left corner at (y, x)."""
        box = self._clip(y, x, bits.shape[0], bits.shape[1])
        if box is None:
            return
        y0, y1, x0, x1 = box
        part = bits[y0 - y : y1 - y, x0 - x : x1 - x]
        region = self.pixels[y0:y1, x0 + MARGIN : x1 + MARGIN]
        region[part] = value

    def fill(self, y: int, x: int, h: int, w: int, value: int = INK) -> None:
        """Fill a box (clipped to the printable area)."""
        box = self._clip(y, x, h, w)
        if box is not None:
            y0, y1, x0, x1 = box
            self.pixels[y0:y1, x0 + MARGIN : x1 + MARGIN] = value

    def mark_row(self, y: int, value: int, *, full_width: bool = True) -> None:
        """Paint a whole row, strips included (the desk below a cut, a cut line)."""
        if 0 <= y < self.height:
            if full_width:
                self.pixels[y, :] = value
            else:
                self.pixels[y, MARGIN : MARGIN + self.paper_dots] = value


def printable(pixels: Canvas) -> Canvas:
    """The printable area of a rendering (the strips either side cut off)."""
    return pixels[:, MARGIN:-MARGIN]
