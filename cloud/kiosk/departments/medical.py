"""医保局 (healthcare security bureau): 医保账户余额, 医保缴费记录, 定点医药机构 (public). In the
national platform's style: OAuth token, ``POST`` ``{"infno", "msgid", "input"}``, answers
``{"infcode": 0, "err_msg", "output"}`` (docs/departments.md)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from cloud.kiosk.departments.base import Person, QueryDecl, QueryInput, ResultField
from cloud.kiosk.departments.http_auth import TokenAuth
from cloud.kiosk.departments.http_common import (
    BEIJING,
    Answer,
    HttpDepartment,
    Op,
    Page,
    person_args,
)
from cloud.settings_kiosk import DepartmentEndpoint

F = ResultField
QUERIES = [
    QueryDecl(
        code="medical_balance",
        name="医保账户余额查询",
        name_en="Medical insurance account balance",
        department="medical",
        operation="balance",
        identity="person",
        layout="record",
        category="social",
        fields=[
            F(key="scheme", label="参保险种", label_en="Scheme"),
            F(key="balance", label="个人账户余额（元）", label_en="Account balance (yuan)"),
            F(key="status", label="参保状态", label_en="Status"),
            F(key="since", label="参保日期", label_en="Insured since"),
            F(key="updated", label="数据更新时间", label_en="Updated"),
        ],
    ),
    QueryDecl(
        code="medical_contributions",
        name="医保缴费记录查询",
        name_en="Medical insurance contributions",
        department="medical",
        operation="payments",
        identity="person",
        layout="table",
        category="social",
        fields=[
            F(key="period", label="缴费期间", label_en="Period"),
            F(key="scheme", label="险种", label_en="Scheme"),
            F(key="amount", label="个人缴费（元）", label_en="Paid (yuan)"),
            F(key="status", label="状态", label_en="Status"),
        ],
    ),
    QueryDecl(
        code="medical_institutions",
        name="定点医药机构查询",
        name_en="Designated hospitals and pharmacies",
        department="medical",
        operation="institutions",
        identity="public",
        layout="table",
        category="social",
        printable=True,
        inputs=[
            QueryInput(
                name="kind",
                label="机构类型",
                label_en="Kind",
                kind="select",
                required=False,
                options=[("1", "医院", "Hospital"), ("2", "药店", "Pharmacy")],
            ),
            QueryInput(
                name="keyword",
                label="名称关键字",
                label_en="Name contains",
                kind="alnum",
                required=False,
            ),
        ],
        fields=[
            F(key="name", label="机构名称", label_en="Name"),
            F(key="level", label="等级", label_en="Level"),
            F(key="address", label="地址", label_en="Address"),
            F(key="phone", label="电话", label_en="Phone"),
        ],
    ),
]


def _person(p: Person | None, _i: Mapping[str, str]) -> dict[str, str]:
    return {"psn_cert_type": "01", **person_args(p, "certno", "psn_name")}


def _institutions(_p: Person | None, i: Mapping[str, str]) -> dict[str, str]:
    return {"fixmedins_type": i.get("kind", ""), "keyword": i.get("keyword", "")}


OPS = {
    "balance": Op(
        "POST",
        "/fsi/api/balance",
        _person,
        {
            "scheme": "insutype_name",
            "balance": "balc",
            "status": "psn_insu_stas",
            "since": "begndate",
            "updated": "upd_time",
        },
        paged=False,
        as_of="upd_time",
    ),
    "payments": Op(
        "POST",
        "/fsi/api/payments",
        _person,
        {
            "period": "accrym",
            "scheme": "insutype_name",
            "amount": "psn_clct_amt",
            "status": "clct_flag",
        },
    ),
    "institutions": Op(
        "POST",
        "/fsi/api/institutions",
        _institutions,
        {"name": "fixmedins_name", "level": "hosp_lv", "address": "addr", "phone": "tel"},
    ),
}
_INFNO = {"/fsi/api/balance": "1101", "/fsi/api/payments": "9001", "/fsi/api/institutions": "1201"}


REFUSALS = {
    "NO_INSU": (
        "未查询到您在本地的参保缴费信息。如有疑问，请到医保窗口咨询。",
        "No local medical insurance record was found. Please ask at the medical insurance window.",
    ),
    "NAME_ERR": ("姓名与身份证号码不一致，请核对。", "The name does not match the ID number."),
    "PARAM_ERR": (
        "查询信息有误，请核对后重试。",
        "Something entered is not valid. Please check it.",
    ),
}


class Medical(HttpDepartment):
    code = "medical"
    name = "市医保局"
    name_en = "the Healthcare Security Bureau"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        paging = {"page_num": page, "page_size": size} if op.paged else {}
        msgid = "KF" + secrets.token_hex(12)
        return {}, {"infno": _INFNO[op.path], "msgid": msgid, "input": {**args, **paging}}

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        code, msg = int(body["infcode"]), str(body.get("err_msg") or "")
        if response.status_code == 401 or code == -401:
            return Answer("auth", code=str(code), message=msg)
        if response.status_code == 503 or code == -503:
            end = (body.get("output") or {}).get("maint_end")
            until = datetime.strptime(end, "%Y%m%d%H%M%S").replace(tzinfo=BEIJING) if end else None
            return Answer("maintenance", code=str(code), message=msg, until=until)
        if code != 0:
            return Answer("refused", code=str(body.get("err_code") or code), message=msg)
        return Answer("ok", body["output"])

    def page(self, payload: Any, size: int) -> Page:
        return Page(list(payload["data"]), int(payload["recordCounts"]), int(payload["pages"]))


def build(endpoint: DepartmentEndpoint) -> Medical:
    return Medical(endpoint, TokenAuth(endpoint))
