"""The receipt a kiosk prints for a submitted application (自助申报受理回执): the case number,
the item, the materials and a QR that opens the platform's page of the case. The applicant's
name and ID number are masked: a receipt may be left on the kiosk."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cloud.hall.ticket_token import HALL_TZ
from protocols.idcard.text import mask_id_number, mask_name
from protocols.jobs import FeedLine, QrLine, ReceiptLine, ReceiptParams, TextLine


@dataclass(frozen=True)
class ReceiptFacts:
    site_name: str
    case_no: str
    item: str
    department: str
    applicant: str
    id_number: str
    #: (material name, pages)
    materials: list[tuple[str, int]]
    follow_url: str
    submitted_at: datetime


def apply_receipt(facts: ReceiptFacts, now: datetime) -> ReceiptParams:
    when = facts.submitted_at.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M")
    lines: list[ReceiptLine] = [
        TextLine(text=facts.site_name or "政务服务中心", align="center", bold=True, width=2),
        TextLine(text="自助申报回执 Application receipt", align="center"),
        FeedLine(),
        TextLine(text="办件编号 Case no.", bold=True),
        TextLine(text=facts.case_no, bold=True, width=2, height=2),
        TextLine(text=f"事项 {facts.item}"),
        TextLine(text=f"办理部门 {facts.department}"),
        TextLine(text=f"申请人 {mask_name(facts.applicant)}"),
        TextLine(text=f"身份证 {mask_id_number(facts.id_number)}"),
        TextLine(text=f"提交时间 {when}"),
        TextLine(text="状态 已申报，待窗口受理 Submitted"),
        FeedLine(),
        TextLine(text="已提交材料 Materials", bold=True),
    ]
    for name, pages in facts.materials:
        lines.append(TextLine(text=f"· {name}（{pages} 页）"))
    lines += [
        FeedLine(),
        QrLine(data=facts.follow_url or facts.case_no, size=6),
        TextLine(text="扫码或在自助终端“办件查询”中查看进度", align="center"),
        TextLine(text="Scan, or use Case progress at a kiosk", align="center"),
        FeedLine(),
        TextLine(text=f"打印时间 Printed {now.astimezone(HALL_TZ):%Y-%m-%d %H:%M}", align="center"),
    ]
    return ReceiptParams(lines=lines)
