"""The printed guide: the materials and forms of the citizen's situation (and not the
others), 二级材料 spelled out, the windows of the kiosk's own site, the sample banner, and a QR
code that decodes to the public page with the same answers."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from cloud.kiosk import guide_pdf as module
from cloud.kiosk.guide_pdf import GuideExtras, GuideFontMissing, guide_pdf
from cloud.kiosk.guide_sample import sample_catalogue
from protocols.fonts import find_cjk_font
from protocols.guide import Item
from tests.conftest import require_or_skip
from tests.kiosk.guide_pdf_read import pdf_qr, pdf_text

HHL = "qh/hx/golmud/hhl"
URL = "https://hall.example.cn/g/VET-HUKOU?placement=assigned&where=spouse"


@pytest.fixture(autouse=True)
def _cjk_font() -> None:
    if find_cjk_font() is None:
        require_or_skip("a CJK font")


def _item(code: str) -> Item:
    return next(i for i in sample_catalogue().items if i.code == code)


def _text(code: str, answers: dict[str, str], **extras: Any) -> str:
    pdf = guide_pdf(_item(code), answers, "黄河路街道办事处", URL, GuideExtras(**extras))
    return pdf_text(pdf)


def test_an_a4_pdf_with_the_situations_materials_and_the_sites_windows() -> None:
    pdf = guide_pdf(
        _item("VET-HUKOU"),
        {"placement": "assigned", "where": "spouse"},
        "黄河路街道办事处",
        URL,
        GuideExtras(department="公安局户政", site=HHL),
    )
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    text = pdf_text(pdf)
    for words in ("退役军人落户 办事指南", "公安局户政", "1、2号窗口", "黄河路街道办事处"):
        assert words in text, words
    assert "安置单位接收证明" in text and "结婚证" in text  # assigned job, with the spouse
    assert "亲属关系证明" not in text  # only when joining parents
    assert "《士兵退出现役证》" in text  # a 二级材料
    assert "户口迁入登记表" in text and "审查要点" in text


def test_other_answers_print_other_materials() -> None:
    text = _text("VET-HUKOU", {"placement": "self", "where": "parents"})
    assert "亲属关系证明" in text and "被投靠人居民户口簿" in text
    assert "结婚证" not in text and "安置单位接收证明" not in text


def test_unanswered_questions_are_said_and_the_sample_is_marked() -> None:
    text = _text("CA-ELDER-ALLOWANCE", {"age": "100"}, sample=True)
    assert "还有问题未回答" in text and "年龄核实材料" in text
    assert "样例数据" in text
    plain = _text("CA-ELDER-ALLOWANCE", {"age": "80", "who": "self"})
    assert "还有问题未回答" not in plain and "样例数据" not in plain
    assert "年龄核实材料" not in plain


def test_the_qr_code_opens_the_public_page_with_the_answers() -> None:
    pdf = guide_pdf(_item("VET-HUKOU"), {"where": "spouse"}, "黄河路", URL)
    assert pdf_qr(pdf) == URL


def test_no_cjk_font_is_a_clear_error_with_a_citizen_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(module, "find_cjk_font", lambda: None)
    with pytest.raises(GuideFontMissing) as err:
        guide_pdf(_item("HH-BIRTH"), {}, "黄河路", URL)
    assert "KFLEET_CJK_FONT" in str(err.value) and "二维码" in err.value.citizen[0]
    assert err.value.status_code == 503
