"""The PNG the printer simulators write for each receipt of the encoder and hand-built
streams: the QR codes and barcodes read back from the picture, in print order, where their
items lie; every image drawn dot for dot at its size and place; and the whole picture equal
to a golden PNG that a person looked at (tests/fixtures/escpos/golden/encoders/).

The goldens were drawn with WenQuanYi Micro Hei. To redraw them after a deliberate change:
``python -m tests.sim.test_printer_encoders_png`` — then look at every PNG before committing.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from protocols.escpos import Receipt
from protocols.escpos.layout import BarcodeItem, QrItem, RasterImage
from protocols.escpos.paper import INK, printable, receipt_png
from protocols.escpos.paper_font import find_font
from protocols.escpos.receipts import decode_receipts
from simulators.escpos_printer import EscPosPrinterSim
from tests.conftest import require_or_skip
from tests.qr_read import read_qr
from tests.sim.printer_encoders_kit import ALL_CASES, Case, chunks, paper_items, params
from tests.sim.printer_png_kit import (
    Pixels,
    crop,
    read_code39,
    read_code128,
    read_ean,
    spans,
)
from tests.sim.test_printer_encoders import print_on_pty, send_in_pieces

GOLDEN = Path(__file__).resolve().parents[1] / "fixtures" / "escpos" / "golden" / "encoders"
TOLERANCE = 0.002  # of the pixels: FreeType versions draw a few glyph edges differently
READERS = {"CODE128": read_code128, "CODE39": read_code39, "EAN13": read_ean}
DRAWN = [c for c in ALL_CASES if any(line.startswith("[") for r in c.receipts for line in r)]


def golden_path(case: Case, n: int) -> Path:
    return GOLDEN / f"{case.name}-{n}.png"


def load(png: bytes) -> Pixels:
    return np.array(Image.open(io.BytesIO(png)).convert("L"))


async def printed(case: Case, out: Path, via: str = "tcp") -> list[tuple[Receipt, Pixels]]:
    """The case through the TCP (or pty) simulator: each receipt and the PNG it wrote."""
    if find_font() is None:
        require_or_skip("a CJK font (apt-get install fonts-wqy-microhei, or KFLEET_CJK_FONT)")
    if via == "pty":
        receipts = (await print_on_pty(case, out, seed=4))[0].receipts
    else:
        async with EscPosPrinterSim("127.0.0.1", 0, out) as sim:
            await send_in_pieces(sim.port, chunks(case, seed=3), len(case.replies))
            await sim.wait_for_closed(1)
        receipts = sim.receipts
    return [(r, load((out / f"{n}.png").read_bytes())) for n, r in enumerate(receipts, 1)]


@pytest.mark.parametrize("case", params(DRAWN))
async def test_codes_and_images_read_back_where_they_print(case: Case, tmp_path: Path) -> None:
    read, images = [], []
    for receipt, png in await printed(case, tmp_path):
        items = paper_items(receipt)  # ESC * bands joined: rendered the same, one picture
        where = spans(items, receipt.paper_dots)
        assert where[-1][1] <= png.shape[0], "the PNG is shorter than its items"
        for item, span in zip(items, where, strict=True):
            if isinstance(item, QrItem):
                read.append(f"[QR] {read_qr(crop(png, span))}")
            elif isinstance(item, BarcodeItem):
                reader = READERS.get(item.symbology)
                data = reader(crop(png, span, quiet=40)) if reader else "<no reader>"
                read.append(f"[BARCODE {item.symbology}] {data}")
            elif isinstance(item, RasterImage):
                images.append(_image_on_paper(printable(png)[span[0] : span[1]], item))
    expected = [line for r in case.receipts for line in r if line.startswith("[")]
    assert read == [line for line in expected if not line.startswith("[IMAGE")]
    expected_images = [
        (i["width"], i["height"], _left(i["width"], i.get("align", "left"))) for i in case.images
    ]
    assert [(w, h, left) for w, h, left, _ in images] == expected_images
    assert [dots for *_, dots in images] == case.rows, "an image's dots differ from the picture"


def _left(width: int, align: str, paper: int = 576) -> int:
    return {"left": 0, "center": (paper - width) // 2, "right": paper - width}[align]


def _image_on_paper(rows: Pixels, item: RasterImage) -> tuple[int, int, int, bytes]:
    """Size, left edge and dots of the ink in an image's rows of the paper."""
    ink = rows == INK
    ys, xs = np.nonzero(ink)
    if ys.size == 0:
        return (0, 0, 0, b"")  # nothing printed
    box = ink[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    dots = np.packbits(box, axis=1).tobytes()
    return (box.shape[1], box.shape[0], int(xs.min()), dots)


@pytest.mark.parametrize("via", ["tcp", "pty"])
@pytest.mark.parametrize("case", params(ALL_CASES))
async def test_png_matches_its_golden(case: Case, via: str, tmp_path: Path) -> None:
    font = find_font()
    if font is None or "wqy-microhei" not in font.name:
        require_or_skip("WenQuanYi Micro Hei (the font the golden PNGs were drawn with)")
    pictures = await printed(case, tmp_path, via)
    assert len(pictures) == len(case.receipts)
    for n, (_, png) in enumerate(pictures, 1):
        want = load(golden_path(case, n).read_bytes())
        assert png.shape == want.shape, f"receipt {n}: {png.shape} != golden {want.shape}"
        differ = float((png != want).mean())
        assert differ <= TOLERANCE, f"receipt {n}: {differ:.2%} of pixels differ from the golden"


def main() -> None:
    """Redraw every golden from the streams (look at each one before committing it)."""
    for case in ALL_CASES:
        for n, receipt in enumerate(decode_receipts(case.data), 1):
            path = golden_path(case, n)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(receipt_png(receipt))
            print(path)


if __name__ == "__main__":
    main()
