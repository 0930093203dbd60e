"""The page of a self-service copy (自助复印): a scanned page, marked so it cannot pass for
an original or be reused for another purpose.

The page comes from the document camera in the copy's mode (colour, grey, or document: grey
with the light evened out). The mark is the one halls use on citizen copies,
"仅供{purpose}使用 · {time} · {terminal}": repeated diagonally across the page in light grey
(hard to crop out, easy to read through) and once more in a white band under the page (always
legible). The result is a JPEG and a one-page A4 PDF for the printer. Drawing needs a CJK
font; without one the copy is refused (:class:`WatermarkUnavailable`) rather than printed
unmarked.

OpenCV, NumPy (about 27 MB of the agent's memory) and Pillow (about 3 MB) are imported when a
copy is composed, not with this module: a kiosk that never copies never loads them (issue 17).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from edge_agent.errors import AgentError
from edge_agent.fonts import INSTALL_HINT

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    from PIL import Image, ImageFont

Lang = Literal["zh-CN", "en"]

#: watermark ink: grey level and opacity (0..255) of the diagonal repeat
INK, ALPHA = 96, 70
#: the diagonal's angle, degrees counter-clockwise
ANGLE = 30.0
#: a scan narrower than this (about 150 dpi across A4) is enlarged first, so the mark prints
#: crisp however small the camera's page was
MIN_WIDTH = 1240


class WatermarkUnavailable(AgentError):
    """The watermark cannot be drawn (no usable CJK font): the copy must not be printed."""


@dataclass(frozen=True, slots=True)
class CopyPage:
    jpeg: bytes
    pdf: bytes
    width: int
    height: int
    text: str


def watermark_text(purpose: str, terminal: str, when: datetime, lang: Lang = "zh-CN") -> str:
    """The mark's words; ``when`` is local time as the citizen knows it."""
    stamp = when.strftime("%Y-%m-%d %H:%M")
    if lang == "en":
        return f"For {purpose} only · {stamp} · {terminal}"
    return f"仅供{purpose}使用 · {stamp} · {terminal}"


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont  # only when a copy is made

    try:
        return ImageFont.truetype(str(path), size)
    except OSError as err:
        raise WatermarkUnavailable(
            f"the font {path} cannot be loaded ({err}); {INSTALL_HINT}"
        ) from err


def _diagonal_mask(size: tuple[int, int], text: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    """An opacity mask with ``text`` repeated in staggered rows, turned by :data:`ANGLE`."""
    from PIL import Image, ImageDraw  # only when a copy is made

    w, h = size
    side = int(math.hypot(w, h)) + 2
    mask = Image.new("L", (side, side), 0)
    draw = ImageDraw.Draw(mask)
    em = int(font.size)
    step_x = int(draw.textlength(text, font=font)) + 3 * em
    step_y = 5 * em
    for row, y in enumerate(range(0, side, step_y)):
        for x in range(-(row % 2) * step_x // 2, side, step_x):
            draw.text((x, y), text, font=font, fill=ALPHA)
    mask = mask.rotate(ANGLE, resample=Image.Resampling.BICUBIC)
    left, top = (side - w) // 2, (side - h) // 2
    return mask.crop((left, top, left + w, top + h))


def watermark(page: npt.NDArray[np.uint8], text: str, font_path: Path) -> Image.Image:
    """``page`` (BGR or grey) with the diagonal mark and a band with ``text`` under it."""
    import cv2  # heavy: only when a copy is made
    from PIL import Image, ImageDraw

    if page.ndim == 2:
        image = Image.fromarray(page, mode="L")
        ink: Any = INK
        paper: Any = 255
        dark: Any = 40
    else:
        image = Image.fromarray(cv2.cvtColor(page, cv2.COLOR_BGR2RGB), mode="RGB")
        ink, paper, dark = (INK, INK, INK), (255, 255, 255), (40, 40, 40)
    w, h = image.size
    mark_font = _font(font_path, max(14, w // 32))
    image.paste(Image.new(image.mode, (w, h), ink), (0, 0), _diagonal_mask((w, h), text, mark_font))
    band_font = _fitting_font(font_path, text, max(12, w // 45), int(w * 0.94))
    band = int(band_font.size * 2.2)
    out = Image.new(image.mode, (w, h + band), paper)
    out.paste(image, (0, 0))
    draw = ImageDraw.Draw(out)
    text_w = draw.textlength(text, font=band_font)
    draw.text(((w - text_w) / 2, h + band * 0.25), text, font=band_font, fill=dark)
    return out


def _fitting_font(path: Path, text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    """The font at ``size``, or smaller until ``text`` fits in ``width`` pixels."""
    font = _font(path, size)
    while size > 8 and font.getlength(text) > width:
        size = max(8, int(size * width / font.getlength(text)))
        font = _font(path, size)
    return font


def compose_copy(
    scan_jpeg: bytes,
    text: str,
    font_path: Path | None,
    *,
    jpeg_quality: int = 85,
    title: str = "copy",
) -> CopyPage:
    """The printable copy of a scanned page: the JPEG as the document camera produced it, in
    the mode the copy asked for (grey scans stay grey)."""
    if font_path is None:
        raise WatermarkUnavailable(f"no font that can draw the watermark was found; {INSTALL_HINT}")
    import cv2  # heavy: only when a copy is made
    import numpy as np

    from edge_agent.vision.rectify import make_pdf  # imports OpenCV

    decoded = cv2.imdecode(np.frombuffer(scan_jpeg, np.uint8), cv2.IMREAD_UNCHANGED)
    if decoded is None:
        raise AgentError("the scanned page could not be decoded as a JPEG")
    page = np.asarray(decoded, dtype=np.uint8)
    if page.shape[1] < MIN_WIDTH:
        scale = MIN_WIDTH / page.shape[1]
        size = (MIN_WIDTH, round(page.shape[0] * scale))
        page = np.asarray(cv2.resize(page, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
    marked = watermark(page, text, font_path)
    buf = io.BytesIO()
    marked.save(buf, format="JPEG", quality=jpeg_quality)
    jpeg = buf.getvalue()
    pdf = make_pdf(jpeg, marked.width, marked.height, grey=marked.mode == "L", title=title)
    return CopyPage(jpeg=jpeg, pdf=pdf, width=marked.width, height=marked.height, text=text)
