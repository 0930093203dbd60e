"""A department module for the query tests (``QUERIES`` + ``build``), answering from memory:
the real adapters and their simulators are the departments helper's; these tests prove the
query machinery (identity, masking, paging, bounds, usage) whatever the department.

Switches on :data:`STATE` make it refuse, stall (never answer: the service's bound must end
the call) or answer more fields than declared (which must not reach the kiosk).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from cloud.kiosk.departments.base import (
    DepartmentRefused,
    Person,
    QueryDecl,
    QueryInput,
    QueryResult,
    ResultField,
)
from cloud.settings_kiosk import DepartmentEndpoint

ACCOUNT = "6228480012345678"
QUERIES = [
    QueryDecl(
        code="standin_subsidy",
        name="高龄补贴发放查询",
        name_en="Old-age allowance payments",
        department="civil",
        operation="subsidy",
        identity="person",
        inputs=[
            QueryInput(
                name="year",
                label="年度",
                label_en="Year",
                kind="digits",
                pattern=r"^20[0-9]{2}$",
                required=False,
            )
        ],
        layout="table",
        fields=[
            ResultField(key="name", label="姓名", label_en="Name", mask="name"),
            ResultField(key="id_number", label="身份证号", label_en="ID", mask="id_number"),
            ResultField(key="month", label="发放月份", label_en="Month"),
            ResultField(key="amount", label="金额（元）", label_en="Amount (CNY)"),
            ResultField(key="account", label="账户", label_en="Account", mask="account"),
        ],
        category="welfare",
    ),
    QueryDecl(
        code="standin_homes",
        name="养老机构查询",
        name_en="Care homes",
        department="civil",
        operation="homes",
        identity="public",
        inputs=[
            QueryInput(
                name="district",
                label="街道",
                label_en="District",
                kind="select",
                options=[("hhl", "黄河路街道", "Huanghe Road"), ("tgls", "唐古拉山镇", "Tanggula")],
            )
        ],
        layout="table",
        fields=[
            ResultField(key="name", label="机构名称", label_en="Name"),
            ResultField(key="phone", label="电话", label_en="Phone"),
        ],
        printable=False,
        category="welfare",
    ),
]


@dataclass
class State:
    refuse: bool = False
    stall: bool = False
    #: every (operation, person, inputs, page) asked, in order
    asked: list[tuple[str, Person | None, dict[str, str], int]] | None = None


STATE = State()


def reset() -> None:
    STATE.refuse, STATE.stall, STATE.asked = False, False, []


class StandIn:
    code = "civil"
    name = "民政局（测试）"
    name_en = "Civil affairs (test)"

    async def query(
        self,
        operation: str,
        person: Person | None,
        inputs: Mapping[str, str],
        page: int,
        page_size: int,
    ) -> QueryResult:
        if STATE.asked is not None:
            STATE.asked.append((operation, person, dict(inputs), page))
        if STATE.stall:
            await asyncio.Event().wait()  # never answers: the caller's bound ends it
        if STATE.refuse:
            raise DepartmentRefused(
                "civil",
                "E2003",
                "no record for this person",
                "未查询到您的高龄补贴发放记录。",
                "No old-age allowance payments were found for you.",
            )
        if operation == "homes":
            rows = [{"name": "格尔木市社会福利院", "phone": "0979-8412345"}]
            return QueryResult(rows=rows, total=1)
        assert person is not None
        months = [f"2026-{m:02d}" for m in range(1, 13)]
        rows = [
            {
                "name": person.name,
                "id_number": person.id_number,
                "month": m,
                "amount": "200.00",
                "account": ACCOUNT,
                "secret_note": "not declared: must not reach the kiosk",
            }
            for m in months
        ]
        chunk = rows[(page - 1) * page_size : page * page_size]
        pages = -(-len(rows) // page_size)
        return QueryResult(rows=chunk, total=len(rows), page=page, pages=pages)

    async def close(self) -> None:
        return None


def build(endpoint: DepartmentEndpoint) -> StandIn:
    return StandIn()
