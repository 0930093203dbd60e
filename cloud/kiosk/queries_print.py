"""Printing a query's result on the kiosk's receipt printer: the query runs again (the cloud
keeps no result), and the masked rows go on paper as label/value lines — the same masking as
the screen, since a receipt can be left behind."""

from __future__ import annotations

from cloud.auth.principal import Principal
from cloud.errors import CloudError
from cloud.hall.ticket_token import HALL_TZ
from cloud.jobs import JobService
from cloud.kiosk.errors import KioskError
from cloud.kiosk.queries_service import Answer, Asked, QueryService
from cloud.schemas import DeviceTarget, JobCreate
from protocols.jobs import FeedLine, JobKind, ReceiptLine, ReceiptParams, TextLine

MAX_ROWS = 20


class QueryNotPrintable(KioskError):
    status_code = 422
    code = "query_not_printable"


class QueryNotPrinted(KioskError):
    status_code = 409
    code = "query_not_printed"


async def print_query(
    service: QueryService, jobs: JobService, caller: Principal, asked: Asked
) -> tuple[str, Answer]:
    """The ``print_receipt`` job's id and the answer it prints."""
    decl = service.registry.decl(asked.code)
    if not decl.printable:
        raise QueryNotPrintable(
            f"query {decl.code} is not printable",
            "该查询结果不支持打印。",
            "This result cannot be printed.",
        )
    answer = await service.run(caller, asked, outcome_ok="printed")
    req = JobCreate(
        kind=JobKind.PRINT_RECEIPT,
        target=DeviceTarget(device_id=caller.name),
        params=receipt(answer).model_dump(mode="json", exclude_none=True),
        purpose="query",
    )
    try:
        job, _ = await jobs.create(req, caller)
    except CloudError as err:
        raise QueryNotPrinted(
            f"the receipt job was refused: {err}",
            "本机暂时无法打印，请记下查询结果或到窗口办理。",
            "This kiosk cannot print now. Please note the result or ask at a window.",
        ) from err
    return job.id, answer


def receipt(answer: Answer) -> ReceiptParams:
    decl = answer.decl
    lines: list[ReceiptLine] = [
        TextLine(text=decl.name, align="center", bold=True, width=2, height=2),
        TextLine(text=decl.name_en, align="center"),
        FeedLine(),
    ]
    for row in answer.rows[:MAX_ROWS]:
        for f in decl.fields:
            lines.append(TextLine(text=f"{f.label} {f.label_en}: {row.get(f.key, '')}"[:500]))
        lines.append(FeedLine())
    if not answer.rows:
        lines.append(TextLine(text="无记录 No records", align="center"))
    as_of = answer.as_of.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M")
    page = f"第 {answer.page}/{answer.pages} 页 Page {answer.page} of {answer.pages}"
    lines += [
        TextLine(text=page, align="center"),
        TextLine(text=f"数据时间 Data as of {as_of}", align="center"),
        TextLine(text="仅供参考，以部门正式出具为准", align="center"),
        TextLine(text="For reference only", align="center"),
    ]
    return ReceiptParams(lines=lines)
