"""住房公积金管理中心 (housing provident fund centre): 公积金缴存明细 as a convenience query, and
the 异地贷款职工住房公积金缴存使用证明 certificate (``cloud/kiosk/certs_decl.py``). OAuth2 client
credentials, then ``GET`` calls; answers ``{"ret": "0", "msg", "data"}``, refusals ``GJJ4xx``,
maintenance 503 with ``resume_at``; lists ``{"list", "total"}`` (docs/departments.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from cloud.kiosk.departments.base import Person, QueryDecl, ResultField
from cloud.kiosk.departments.http_auth import TokenAuth
from cloud.kiosk.departments.http_common import Answer, HttpDepartment, Op, Page, person_args
from cloud.settings_kiosk import DepartmentEndpoint

F = ResultField
QUERIES = [
    QueryDecl(
        code="hpf_deposits",
        name="住房公积金缴存查询",
        name_en="Housing provident fund deposits",
        department="hpf",
        operation="deposits",
        identity="person",
        layout="table",
        category="housing",
        fields=[
            F(key="month", label="缴存年月", label_en="Month"),
            F(key="employer", label="缴存单位", label_en="Employer"),
            F(key="amount", label="缴存额（元）", label_en="Amount (yuan)"),
            F(key="status", label="状态", label_en="Status"),
        ],
    ),
]


def _person(p: Person | None, _i: Mapping[str, str]) -> dict[str, str]:
    return person_args(p, "zjhm", "xingming")


OPS = {
    "deposits": Op(
        "GET",
        "/gjj/api/v2/deposits",
        _person,
        {"month": "jcny", "employer": "dwmc", "amount": "jcje", "status": "zt"},
    ),
    "remote_loan_proof": Op(
        "GET",
        "/gjj/api/v2/proofs/remote-loan",
        _person,
        {
            "doc_no": "zmbh",
            "name": "xingming",
            "id_number": "zjhm",
            "account": "grzh",
            "employer": "dwmc",
            "opened": "khrq",
            "state": "jczt",
            "monthly": "yjce",
            "balance": "zhye",
            "months": "ljjcys",
            "paid_until": "jzny",
            "loans": "dkqk",
        },
        paged=False,
    ),
}

REFUSALS = {
    "GJJ404": (
        "未查询到您的住房公积金账户。如有疑问，请到公积金窗口咨询。",
        "No housing provident fund account was found for you. Please ask at its window.",
    ),
    "GJJ409": ("姓名与身份证号码不一致，请核对。", "The name does not match the ID number."),
    "GJJ400": (
        "查询信息有误，请核对后重试。",
        "Something entered is not valid. Please check it.",
    ),
}


class Hpf(HttpDepartment):
    code = "hpf"
    name = "住房公积金管理中心"
    name_en = "the Housing Provident Fund Centre"
    ops = OPS
    refusals = REFUSALS

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        code, msg = str(body["ret"]), str(body.get("msg", ""))
        if response.status_code == 401:
            return Answer("auth", code=code, message=msg)
        if response.status_code == 503:
            resume = body.get("resume_at")
            until = datetime.fromisoformat(resume) if resume else None
            return Answer("maintenance", code=code, message=msg, until=until)
        if code != "0":
            return Answer("refused", code=code, message=msg)
        return Answer("ok", body["data"])

    def page(self, payload: Any, size: int) -> Page:
        total = int(payload["total"])
        return Page(list(payload["list"]), total, -(-total // size))


def build(endpoint: DepartmentEndpoint) -> Hpf:
    return Hpf(endpoint, TokenAuth(endpoint))
