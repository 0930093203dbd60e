"""A certificate on A4 as the kiosk prints it: title, number, the certifying sentence, the
facts in a table, the issuer, a QR code that opens the public verification page, and a
watermark across the page (the certificate's number and "自助终端打印") so a copy or a pasted
edit shows. Chinese needs a CJK font (``protocols.fonts``); the QR is vector squares."""

from __future__ import annotations

import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cloud.kiosk.certs_decl import CertDecl
from cloud.kiosk.errors import KioskError
from cloud.kiosk.guide_pdf import QrFlowable
from protocols.fonts import INSTALL_HINT, find_cjk_font

FONT = "kfleet-cjk"


class CertFontMissing(KioskError):
    status_code = 503
    code = "certificate_font_missing"

    def __init__(self) -> None:
        super().__init__(
            f"printing a certificate needs a CJK font on the cloud host: {INSTALL_HINT}",
            "暂时无法打印证明，请稍后再试或到窗口办理。",
            "The certificate cannot be printed right now. Please try later or ask at a window.",
        )


@dataclass(frozen=True)
class CertPaper:
    decl: CertDecl
    number: str
    #: the facts by field key, unmasked (the paper is the holder's)
    facts: dict[str, str]
    site_name: str
    issued_at: str  # YYYY-MM-DD HH:MM, Beijing time
    verify_url: str
    sample: bool = False


def _font() -> str:
    path = find_cjk_font()
    if path is None:
        raise CertFontMissing()
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _watermark(canvas: Canvas, font: str, paper: CertPaper) -> None:
    """Light diagonal lines of text over the whole page."""
    canvas.saveState()
    canvas.setFillColor(colors.Color(0.6, 0.6, 0.6, alpha=0.18))
    canvas.setFont(font, 16)
    canvas.translate(A4[0] / 2, A4[1] / 2)
    canvas.rotate(35)
    text = f"自助终端打印  {paper.number}  仅供办事使用"
    for row in range(-9, 10):
        canvas.drawCentredString(0, row * 28 * mm / 2, text)
    canvas.restoreState()


def _facts(paper: CertPaper, body: ParagraphStyle) -> Table:
    rows = [
        [_p(f.label, body), _p(paper.facts.get(f.key, "") or "—", body)] for f in paper.decl.fields
    ]
    table = Table(rows, colWidths=[45 * mm, 125 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#5b6670")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
            ]
        )
    )
    return table


def cert_pdf(paper: CertPaper) -> bytes:
    """The A4 PDF of one certificate."""
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    small = ParagraphStyle("small", parent=body, fontSize=9, leading=12)
    title = ParagraphStyle("title", parent=body, fontSize=20, leading=28, alignment=1)
    decl, out = paper.decl, io.BytesIO()
    story = []
    if paper.sample:
        story.append(_p("演示环境打印，非正式证明。Demonstration only.", small))
    story += [
        _p(decl.name, title),
        _p(decl.name_en, ParagraphStyle("en", parent=small, alignment=1)),
        Spacer(1, 4 * mm),
        _p(f"证明编号 No.：{paper.number}", body),
        Spacer(1, 3 * mm),
        _p(decl.statement, body),
        _p(decl.statement_en, small),
        Spacer(1, 3 * mm),
        _facts(paper, body),
        Spacer(1, 8 * mm),
    ]
    verify = [QrFlowable(paper.verify_url), _p("扫码验证真伪\nScan to verify", small)]
    issuer = [
        _p(f"出具单位：{decl.issuer}", body),
        _p(f"出具时间：{paper.issued_at}", body),
        _p(f"打印地点：{paper.site_name} 自助终端", small),
        _p("本证明经电子证照库登记，可扫描右侧二维码核验真伪；涂改无效。", small),
    ]
    foot = Table([[issuer, verify]], colWidths=[130 * mm, 40 * mm])
    foot.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story.append(foot)

    def page(canvas: Canvas, _doc: SimpleDocTemplate) -> None:
        _watermark(canvas, font, paper)

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"{decl.name} {paper.number}",
        author=decl.issuer,
    )
    doc.build(story, onFirstPage=page, onLaterPages=page)
    return out.getvalue()
