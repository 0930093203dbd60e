"""``form_pdf``: a filled form on A4 with its layout — the sections' fields in order, packed
by their span, yes/no in words, blanks left to fill by hand, the signature lines, the footer
naming the form's version; no CJK font is a clear error, never a PDF of empty boxes."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from pypdf import PdfReader

from cloud.kiosk import forms_pdf
from cloud.kiosk.forms_pdf import FormExtras, FormFontMissing, _rows, form_pdf
from cloud.kiosk.forms_samples import PENSION_ENROL, PERSONAL_INFO
from tests.kiosk.guide_pdf_read import pdf_text

FILLED = {
    "name": "王小明",
    "id_number": "632801198805120137",
    "hukou_type": "农业",
    "phone": "13912345678",
    "hukou_address": "青海省格尔木市郭勒木德镇",
    "grade": 300,
    "special": False,
}


def test_the_form_prints_with_its_layout_in_order() -> None:
    printed = datetime(2026, 12, 7, 9, 30)
    pdf = form_pdf(PENSION_ENROL, FILLED, FormExtras("河西街道便民服务中心", printed, "H-1"))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1 and reader.pages[0].mediabox.width == pytest.approx(595.28, 0.1)
    text = pdf_text(pdf)
    order = [
        "城乡居民基本养老保险参保登记表",
        "参保人信息",
        "王小明",
        "户籍与联系方式",
        "农业",
        "缴费信息",
        "300",
    ]
    at = [text.index(s) for s in order]
    assert at == sorted(at), text
    assert "否" in text  # the checkbox in words
    assert "参保人签字（手印）：" in text and "经办人：" in text
    assert (
        "pension-enrol 第1版 · H-1" in text
        and "河西街道便民服务中心 自助终端打印 2026-12-07 09:30" in text
    )


def test_fields_are_packed_by_their_span() -> None:
    fields = PERSONAL_INFO.sections[0].fields  # 4 + 2 + 6, then 12
    assert [[f.key for f in line] for line in _rows(fields)] == [
        ["name", "sex", "birth"],
        ["id_number"],
    ]


def test_without_a_cjk_font_the_print_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forms_pdf, "find_cjk_font", lambda: None)
    with pytest.raises(FormFontMissing) as caught:
        form_pdf(PERSONAL_INFO, {})
    assert caught.value.status_code == 503 and "窗口" in caught.value.citizen[0]
