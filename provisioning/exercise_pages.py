"""What the print test puts on paper: a receipt (site, device, time, a line of Chinese, a QR
code) for the ESC/POS printer and a one-page A4 test page (the same text, drawn) for IPP.

The A4 page is drawn with Pillow and wrapped as a PDF by the agent's own ``make_pdf``; without
a CJK font on the machine the Chinese line is left out and the page says so.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from edge_agent.fonts import find_cjk_font
from protocols.jobs import ReceiptParams

CHINESE_LINE = "中文打印测试：政务服务大厅 ABC 123"


@dataclass(frozen=True, slots=True)
class TestPage:
    """Who printed it, where and when."""

    __test__ = False  # not a pytest test class

    site: str
    device: str
    at: datetime

    @property
    def lines(self) -> list[str]:
        stamp = self.at.isoformat(timespec="seconds")
        return [
            "kfleet 打印测试 / print test",
            f"站点 site: {self.site}",
            f"设备 device: {self.device}",
            f"时间 time: {stamp}",
            CHINESE_LINE,
        ]

    @property
    def qr(self) -> str:
        return f"kfleet-test:{self.device}:{self.at.isoformat(timespec='seconds')}"


def receipt(page: TestPage) -> ReceiptParams:
    """The test receipt as the agent's own job parameters (so the driver renders it)."""
    title, *rest = page.lines
    lines: list[dict[str, object]] = [
        {"type": "text", "text": title, "align": "center", "bold": True, "height": 2}
    ]
    lines += [{"type": "text", "text": text} for text in rest]
    lines += [{"type": "qr", "data": page.qr, "size": 5}, {"type": "feed", "lines": 2}]
    return ReceiptParams.model_validate({"lines": lines})


def a4_pdf(page: TestPage) -> tuple[bytes, bool]:
    """(the PDF, whether the Chinese line could be drawn)."""
    from PIL import Image, ImageDraw, ImageFont

    from edge_agent.vision.rectify import make_pdf

    width, height = 1240, 1754  # A4 at 150 dpi
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font_path = find_cjk_font()
    lines = page.lines
    if font_path is not None:
        font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(str(font_path), 40)
    else:
        font = ImageFont.load_default(40)
        lines = [line for line in lines if line.isascii()]
        lines.append("(no CJK font on this machine: the Chinese line is left out)")
    draw.rectangle((60, 60, width - 60, height - 60), outline=0, width=4)
    for i, line in enumerate(lines):
        draw.text((120, 140 + i * 80), line, fill=0, font=font)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=80)
    pdf = make_pdf(buf.getvalue(), width, height, grey=True, title="kfleet test page")
    return pdf, font_path is not None
