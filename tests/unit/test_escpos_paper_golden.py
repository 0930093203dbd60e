"""Whole receipts against golden PNGs (tests/fixtures/escpos/golden/), looked at by a human.

The goldens were drawn with WenQuanYi Micro Hei; another font draws other glyphs, so the
comparison needs that font. A few pixels may differ between FreeType versions: up to
``TOLERANCE`` pixels (a glyph's worth; a 1-dot underline under ten characters is 120). To
redraw them after a deliberate change, run ``python -m tests.unit.test_escpos_paper_golden``
and look at every PNG before committing.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from protocols.escpos.layout import (
    PAPER_58MM,
    PAPER_80MM,
    BarcodeItem,
    CutItem,
    FeedItem,
    Item,
    PrintLine,
    QrItem,
    RasterImage,
    TextRun,
)
from protocols.escpos.paper import receipt_png
from protocols.escpos.receipts import Receipt
from tests.conftest import require_or_skip
from tests.unit.escpos_paper_kit import cjk_font, text

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "escpos" / "golden"
TOLERANCE = 40


def _logo() -> RasterImage:
    yy, xx = np.mgrid[0:48, 0:96]
    ring = np.abs(np.hypot(yy - 24, xx - 24) - 18) < 4
    bars = (xx > 52) & ((xx // 6) % 2 == 0) & (yy > 8) & (yy < 40)
    return RasterImage(96, 48, np.packbits(ring | bars, axis=1).tobytes(), align="center")


def ticket_80mm() -> Receipt:
    items: list[Item] = [
        _logo(),
        FeedItem(8),
        text("黄河路街道办事处", align="center", width=2, height=2, bold=True, feed=56),
        text("取号凭条 Queue ticket", align="center"),
        text("A023", align="center", width=4, height=4, feed=100),
        text("前面还有 3 人 · 3 waiting", align="center"),
        PrintLine((TextRun("业务", 0), TextRun("社保卡补办", 120)), feed=30),
        PrintLine((TextRun("Time", 0, "B"), TextRun("2026-12-06 13:20", 120, "B")), feed=24),
        text(" 请保管好凭条 ", align="center", reverse=True),
        text("Underlined", underline=1, feed=32),
        QrItem("https://gov.example/q/A023", 6, "M", align="center"),
        FeedItem(16),
        BarcodeItem("CODE128", "A023-20261206", height=64, module=2, hri="below", align="center"),
        FeedItem(60),
        CutItem(partial=True),
    ]
    return Receipt(items=items, paper_dots=PAPER_80MM)


def bill_58mm() -> Receipt:
    def row(name: str, qty: str, price: str, bold: bool = False) -> PrintLine:
        return PrintLine((TextRun(name, 0, bold=bold), TextRun(qty, 216), TextRun(price, 300)))

    items: list[Item] = [
        text("收 费 单", align="center", width=2, height=2, feed=52),
        row("项目 Item", "数量", "金额", bold=True),
        text("-" * 32),
        row("工本费", "1", "20.00"),
        row("快递费 EMS", "1", "12.00"),
        text("-" * 32),
        PrintLine((TextRun("合计 Total", 0, width=2), TextRun("32.00", 300, width=1, bold=True))),
        FeedItem(12),
        BarcodeItem("EAN13", "690123456789", height=60, module=2, hri="below", align="center"),
        FeedItem(8),
        BarcodeItem("ITF", "00012345678905", height=48, module=2, align="center"),
        FeedItem(8),
        BarcodeItem("CODABAR", "A40156B", height=40, module=2, hri="above", hri_font="B"),
        text("Font B small print, 9 x 17 dots a cell", font="B", feed=24),
        FeedItem(40),
        CutItem(partial=False),
    ]
    return Receipt(items=items, paper_dots=PAPER_58MM)


CASES: dict[str, Callable[[], Receipt]] = {"ticket_80mm": ticket_80mm, "bill_58mm": bill_58mm}


def _png(receipt: Receipt) -> bytes:
    return receipt_png(receipt, font=cjk_font())


@pytest.mark.parametrize("name", sorted(CASES))
def test_receipt_matches_its_golden_png(name: str) -> None:
    if "wqy-microhei" not in cjk_font().name:
        require_or_skip("WenQuanYi Micro Hei (the font the golden PNGs were drawn with)")
    got = np.array(Image.open(io.BytesIO(_png(CASES[name]()))).convert("L"))
    want = np.array(Image.open(GOLDEN / f"{name}.png").convert("L"))
    assert got.shape == want.shape
    differ = int((got != want).sum())
    assert differ <= TOLERANCE, f"{name}: {differ} pixels differ from the golden"


def main() -> None:
    """Redraw the goldens (look at each one before committing it)."""
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name, make in CASES.items():
        (GOLDEN / f"{name}.png").write_bytes(_png(make()))
        print(GOLDEN / f"{name}.png")


if __name__ == "__main__":
    main()
