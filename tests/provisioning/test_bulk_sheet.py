"""The A4 sheet: a real PDF, A4, 12 cells a page, Chinese names in a CJK font, and QR codes
that decode to exactly the enrollment text of their cell."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from edge_agent.fonts import find_cjk_font
from protocols.enrollment import parse_qr_text, qr_text
from provisioning.bulk_sheet import Cell, write_sheet
from tests.conftest import require_or_skip
from tests.provisioning.pdf_qr import page_texts, qr_texts


def _cells(n: int) -> list[Cell]:
    return [
        Cell(
            qr_text("https://kfleet.example.gov.cn", f"kfe_{i:016x}_{'x' * 40}{i:03d}"),
            f"kiosk-{i:02d}",
            f"黄河路街道办事处 {i}号自助终端",
            "qh/hx/golmud/hhl",
            "2026-12-20 10:00 UTC",
        )
        for i in range(n)
    ]


def test_sheet_is_a4_with_decodable_qr_codes_and_chinese_names(tmp_path: Path) -> None:
    if find_cjk_font() is None:
        require_or_skip("a CJK font (apt-get install fonts-wqy-microhei)")
    cells = _cells(14)  # two pages: 12 + 2
    out = tmp_path / "sheet.pdf"
    assert write_sheet(cells, out, "kfleet enrollment — plan.csv") == 2
    assert out.read_bytes().startswith(b"%PDF-")
    reader = PdfReader(out)
    assert len(reader.pages) == 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    texts = page_texts(out)
    assert "kiosk-00" in texts[0] and "kiosk-11" in texts[0] and "kiosk-12" in texts[1]
    assert "黄河路街道办事处 3号自助终端" in texts[0]
    assert "2026-12-20 10:00 UTC" in texts[1]
    decoded = qr_texts(out)
    assert decoded == [[c.qr_text for c in cells[:12]], [c.qr_text for c in cells[12:]]]
    assert parse_qr_text(decoded[1][1])[1] == parse_qr_text(cells[13].qr_text)[1]
