"""The paper a kiosk prints for a case's progress (办件进度): the case, its status, and each
node of its timeline. The applicant's name is masked (a receipt may be left on the kiosk)."""

from __future__ import annotations

from datetime import datetime

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.city_platform import Case
from protocols.idcard.text import mask_name
from protocols.jobs import FeedLine, ReceiptLine, ReceiptParams, TextLine


def _when(moment: datetime | None) -> str:
    return moment.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M") if moment is not None else "—"


def case_receipt(case: Case, site_name: str, now: datetime) -> ReceiptParams:
    lines: list[ReceiptLine] = [
        TextLine(text=site_name, align="center", bold=True, width=2, height=2),
        TextLine(text="办件进度 Case progress", align="center"),
        FeedLine(),
        TextLine(text=f"办件编号 {case.case_no}", bold=True),
        TextLine(text=f"事项 {case.item}"),
        TextLine(text=f"办理部门 {case.department}"),
    ]
    if case.hall:
        lines.append(TextLine(text=f"受理地点 {case.hall}"))
    if case.applicant:
        lines.append(TextLine(text=f"申请人 {mask_name(case.applicant)}"))
    lines += [
        TextLine(text=f"当前状态 {case.status_name}", bold=True, width=2, height=2),
        TextLine(text=f"受理时间 {_when(case.accepted_at)}"),
        TextLine(text=f"承诺办结 {_when(case.promised_at)}"),
        FeedLine(),
        TextLine(text="办理过程 Timeline", bold=True),
    ]
    for step in case.steps:
        lines.append(TextLine(text=f"{_when(step.at)} {step.name} {step.result}".strip()))
        if step.opinion:
            lines.append(TextLine(text=f"  {step.opinion}"))
    lines += [
        FeedLine(),
        TextLine(text=f"打印时间 Printed {_when(now)}", align="center"),
        TextLine(text="以政务服务平台数据为准 As recorded by the platform", align="center"),
    ]
    return ReceiptParams(lines=lines)
