"""A filled e-form on A4 with the form's own layout: its sections as ruled tables, each field
as wide as its ``span`` (twelfths of the line), then the signature lines — what the citizen
signs and hands in. Other flows (自助申报, 高龄补贴) print their forms with :func:`form_pdf` too.

The paper carries the data in full (it is the citizen's own form, signed and submitted); the
print comes out of the kiosk the citizen stands at. Chinese needs a CJK font
(``protocols.fonts``); without one the print is refused with a clear error, never boxes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cloud.kiosk.errors import KioskError
from protocols.eform import FieldLayout, FormDef, Section
from protocols.fonts import INSTALL_HINT, find_cjk_font

FONT = "kfleet-cjk"
WIDTH = A4[0] - 36 * mm
GRID = 12


class FormFontMissing(KioskError):
    status_code = 503
    code = "form_font_missing"

    def __init__(self) -> None:
        super().__init__(
            f"printing a form needs a CJK font on the cloud host: {INSTALL_HINT}",
            "暂时无法打印表单，请到窗口办理。",
            "The form cannot be printed right now: please go to a window.",
        )


@dataclass(frozen=True)
class FormExtras:
    """What the form alone does not say: where and when it was printed, and a reference
    (a case number, a hand-off) printed in the footer."""

    site: str = ""
    printed_at: datetime | None = None
    reference: str = ""


def _font() -> str:
    path = find_cjk_font()
    if path is None:
        raise FormFontMissing()
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def shown(form: FormDef, key: str, value: Any) -> str:
    """A value as it is written on paper (a yes/no as 是/否, nothing as blank)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _rows(fields: list[FieldLayout]) -> list[list[FieldLayout]]:
    """Fields packed into lines of ``GRID`` twelfths, in order."""
    lines: list[list[FieldLayout]] = [[]]
    used = 0
    for f in fields:
        if used + f.span > GRID and lines[-1]:
            lines.append([])
            used = 0
        lines[-1].append(f)
        used += f.span
    return lines


def _section(
    form: FormDef, section: Section, data: Mapping[str, Any], st: dict[str, ParagraphStyle]
) -> Table:
    col = WIDTH / GRID
    cells: list[list[Any]] = [[Paragraph(escape(section.title), st["head"])] + [""] * (GRID - 1)]
    spans = [("SPAN", (0, 0), (-1, 0))]
    for r, line in enumerate(_rows(section.fields), 1):
        row: list[Any] = [""] * GRID
        at = 0
        for i, f in enumerate(line):
            width = f.span if i < len(line) - 1 else GRID - at  # the last fills the line
            text = f"<font size=8 color='#555555'>{escape(f.label)}</font><br/>"
            text += escape(shown(form, f.key, data.get(f.key))) or "&nbsp;"
            row[at] = Paragraph(text, st["cell"])
            spans.append(("SPAN", (at, r), (at + width - 1, r)))
            at += width
        cells.append(row)
    table = Table(cells, colWidths=[col] * GRID)
    table.setStyle(
        TableStyle(
            [
                *spans,
                ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("MINROWHEIGHT", (0, 1), (-1, -1), 12 * mm),
            ]
        )
    )
    return table


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("cell", fontName=font, fontSize=11, leading=15, wordWrap="CJK")
    return {
        "cell": base,
        "head": ParagraphStyle("head", parent=base, fontSize=11.5),
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, alignment=1),
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12, alignment=1),
        "sign": ParagraphStyle("sign", parent=base, fontSize=11, leading=22),
    }


def _story(form: FormDef, data: Mapping[str, Any], st: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(escape(form.title), st["title"])]
    if form.title_en:
        story.append(Paragraph(escape(form.title_en), st["small"]))
    story.append(Spacer(1, 5 * mm))
    for section in form.sections:
        story += [_section(form, section, data, st), Spacer(1, 3 * mm)]
    if form.signatures:
        line = "　　".join(f"{escape(s)}：________________" for s in form.signatures)
        story += [Spacer(1, 6 * mm), Paragraph(line, st["sign"])]
    return story


def form_pdf(form: FormDef, data: Mapping[str, Any], extras: FormExtras | None = None) -> bytes:
    """The A4 PDF of ``form`` filled with ``data`` (checked beforehand by the caller with
    ``form_problems``; a missing value prints as a blank to fill by hand)."""
    extras = extras or FormExtras()
    font = _font()
    st = _styles(font)
    out = io.BytesIO()
    printed = extras.printed_at.strftime("%Y-%m-%d %H:%M") if extras.printed_at else ""
    left = f"{extras.site} 自助终端打印 {printed}".strip() if extras.site or printed else ""
    right = f"{form.code} 第{form.version}版" + (
        f" · {extras.reference}" if extras.reference else ""
    )

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.setFont(font, 8)
        canvas.drawString(18 * mm, 10 * mm, left)
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"{right} · 第 {doc.page} 页")

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=form.title,
        author=extras.site or "kfleet",
    )
    doc.build(_story(form, data, st), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
