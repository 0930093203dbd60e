"""An item's 办事指南 on A4, as the kiosk prints it for a citizen: what the item is, where and
when, the conditions, and the materials and forms **for the citizen's answers** (the same
``fleet.guide.applicable`` the kiosk screen and the console preview use), with a QR code that
opens the item's public page on a phone.

Chinese needs a CJK font (``protocols.fonts``: ``KFLEET_CJK_FONT`` or the usual places); the
QR code is drawn as vector squares, sharp on any printer.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from xml.sax.saxutils import escape

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cloud.kiosk.errors import KioskError
from cloud.kiosk.guide_words import FORMS, OBJECTS, days
from fleet.guide import Applicable, applicable
from protocols.fonts import INSTALL_HINT, find_cjk_font
from protocols.guide import Item, Material

FONT = "kfleet-cjk"
QR_SIDE = 32 * mm


class GuideFontMissing(KioskError):
    """The cloud has no font that draws Chinese: no guide can be printed."""

    status_code = 503
    code = "guide_font_missing"

    def __init__(self) -> None:
        super().__init__(
            f"printing a guide needs a CJK font on the cloud host: {INSTALL_HINT}",
            "暂时无法打印办事指南，请扫描二维码在手机上查看，或到窗口咨询。",
            "The guide cannot be printed right now: scan the QR code to read it on your "
            "phone, or ask at a window.",
        )


@dataclass(frozen=True)
class GuideExtras:
    """What the item alone does not say: the department's name, the site (its windows) and
    whether the catalogue is sample data."""

    department: str = ""
    site: str = ""
    sample: bool = False
    printed_at: datetime | None = None


def _font() -> str:
    """The CJK font, registered once; looked for at each print (a font removed from the
    host is a clear error, not a PDF of empty boxes)."""
    path = find_cjk_font()
    if path is None:
        raise GuideFontMissing()
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


class _Styles:
    def __init__(self, font: str) -> None:
        base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, wordWrap="CJK")
        self.body = base
        self.small = ParagraphStyle("small", parent=base, fontSize=9, leading=12.5)
        self.title = ParagraphStyle("title", parent=base, fontSize=20, leading=26)
        self.h2 = ParagraphStyle(
            "h2", parent=base, fontSize=13, leading=18, spaceBefore=8, spaceAfter=4
        )
        self.banner = ParagraphStyle(
            "banner", parent=base, backColor=colors.HexColor("#fff3cd"), borderPadding=4
        )


class QrFlowable(Flowable):  # type: ignore[misc]  # reportlab has no types
    """A QR code as filled squares (quiet zone of 4 modules included in ``side``)."""

    def __init__(self, text: str, side: float = QR_SIDE) -> None:
        super().__init__()
        self.matrix = [list(row) for row in segno.make(text, error="m", micro=False).matrix]
        self.width = self.height = side

    def draw(self) -> None:
        c = self.canv
        n = len(self.matrix) + 8
        m = self.width / n
        c.setFillColorRGB(0, 0, 0)
        for r, row in enumerate(self.matrix):
            for col, dark in enumerate(row):
                if dark:
                    c.rect((col + 4) * m, self.height - (r + 5) * m, m, m, stroke=0, fill=1)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _facts(item: Item, extras: GuideExtras, st: _Styles) -> Table:
    windows = item.windows.get(extras.site, [])
    where = item.place + (f"（{'、'.join(windows)}号窗口）" if windows else "")
    rows = [
        ("实施部门", extras.department or item.department),
        ("办事对象", OBJECTS[item.object][0]),
        ("承诺时限", days(item.time_limit_days)),
        ("法定时限", days(item.legal_limit_days) if item.legal_limit_days else "—"),
        ("收费标准", item.fees or "不收费"),
        ("咨询电话", item.phone or "—"),
        ("办理地点", where or "—"),
    ]
    table = Table(
        [[_p(k, st.body), _p(v, st.body)] for k, v in rows], colWidths=[28 * mm, 100 * mm]
    )
    table.setStyle(_GRID)
    return table


_GRID = TableStyle(
    [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#8a96a3")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (0, -1), colors.HexColor("#eef2f6")),
    ]
)


def _head(item: Item, extras: GuideExtras, qr_url: str, st: _Styles) -> Table:
    """Facts on the left, the QR code and its caption on the right."""
    right = [QrFlowable(qr_url), _p("扫码在手机上查看\nScan to read on a phone", st.small)]
    table = Table([[_facts(item, extras, st), right]], colWidths=[130 * mm, 40 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _situation(
    item: Item, answers: Mapping[str, str], got: Applicable, st: _Styles
) -> list[Flowable]:
    if not item.questions:
        return []
    out: list[Flowable] = [_p("您的办理情形", st.h2)]
    for q in got.questions:
        chosen = next((o.label for o in q.options if o.code == answers.get(q.code)), None)
        out.append(_p(f"{q.text}　{chosen or '（未选择）'}", st.body))
    if got.unanswered:
        out.append(_p("还有问题未回答：下列材料可能不完整，请以窗口告知为准。", st.banner))
    return out


def _material_text(m: Material) -> str:
    lines = [m.name] + [f"· {s.name}" + (f"（{s.note}）" if s.note else "") for s in m.sub]
    if m.note:
        lines.append(f"说明：{m.note}")
    return "\n".join(lines)


def _materials(got: Applicable, st: _Styles) -> list[Flowable]:
    if not got.materials:
        return [_p("申请材料", st.h2), _p("无需提交材料。", st.body)]
    rows = [[_p(h, st.small) for h in ("序号", "材料名称", "形式", "份数", "要求")]]
    for n, m in enumerate(got.materials, 1):
        rows.append(
            [
                _p(str(n), st.small),
                _p(_material_text(m), st.body),
                _p(FORMS[m.form][0], st.small),
                _p(str(m.copies), st.small),
                _p("必须" if m.required else "视情况", st.small),
            ]
        )
    table = Table(rows, colWidths=[12 * mm, 104 * mm, 22 * mm, 12 * mm, 20 * mm], repeatRows=1)
    table.setStyle(_GRID)
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f6"))]))
    table.setStyle(TableStyle([("BACKGROUND", (0, 1), (0, -1), colors.white)]))
    return [_p("申请材料", st.h2), table]


def _listing(title: str, texts: list[str], st: _Styles) -> list[Flowable]:
    if not texts:
        return []
    return [_p(title, st.h2), *(_p(f"{n}. {t}", st.body) for n, t in enumerate(texts, 1))]


def _story(
    item: Item, answers: Mapping[str, str], extras: GuideExtras, qr_url: str, st: _Styles
) -> list[Flowable]:
    got = applicable(item, answers)
    story: list[Flowable] = []
    if extras.sample:
        story += [
            _p("样例数据，仅供演示，不作为办事依据。Sample data for demonstration.", st.banner),
            Spacer(1, 3 * mm),
        ]
    story += [_p(f"{item.name} 办事指南", st.title)]
    if item.name_en:
        story.append(_p(item.name_en, st.small))
    story += [Spacer(1, 4 * mm), _head(item, extras, qr_url, st)]
    story += _listing("受理条件", list(item.conditions), st)
    story += _situation(item, answers, got, st)
    story += _materials(got, st)
    story += _listing("需填写的表单", [f.name for f in got.forms], st)
    story += _listing("审查要点（窗口审核时关注）", [r.text for r in got.review_points], st)
    story += _listing("设定依据", list(item.legal_basis), st)
    return story


def guide_pdf(
    item: Item,
    answers: Mapping[str, str],
    site_name: str,
    qr_url: str,
    extras: GuideExtras | None = None,
) -> bytes:
    """The A4 PDF of ``item``'s guide for ``answers`` as printed at ``site_name``."""
    extras = extras or GuideExtras()
    font = _font()
    st = _Styles(font)
    out = io.BytesIO()
    printed = extras.printed_at.strftime("%Y-%m-%d %H:%M") if extras.printed_at else ""

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.setFont(font, 8)
        canvas.drawString(18 * mm, 10 * mm, f"{site_name} 自助终端打印 {printed}".strip())
        canvas.drawRightString(A4[0] - 18 * mm, 10 * mm, f"第 {doc.page} 页")

    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=18 * mm,
        title=f"{item.code} 办事指南",
        author=site_name,
    )
    doc.build(_story(item, answers, extras, qr_url, st), onFirstPage=footer, onLaterPages=footer)
    return out.getvalue()
