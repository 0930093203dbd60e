"""人社厅 (human resources and social security): 社保缴费记录, 养老金发放, 职业资格证书, 失业保险金.
Its gateway takes ``POST`` JSON with the national field codes (``aac002``/``aac003``), signed
with ``X-Ca-*`` headers (base64 HMAC-SHA256); answers ``{"resultCode": "0000", "resultMsg",
"result"}`` (docs/departments.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from cloud.kiosk.departments.base import QueryDecl, ResultField
from cloud.kiosk.departments.http_auth import HmacAuth
from cloud.kiosk.departments.http_common import Answer, HttpDepartment, Op, Page, person_args
from cloud.settings_kiosk import DepartmentEndpoint

F = ResultField


def _decl(
    code: str, name: str, name_en: str, operation: str, fields: list[ResultField]
) -> QueryDecl:
    return QueryDecl(
        code=code,
        name=name,
        name_en=name_en,
        department="hrss",
        operation=operation,
        identity="person",
        layout="table",
        fields=fields,
        category="social",
    )


QUERIES = [
    _decl(
        "hrss_contributions",
        "社保缴费记录查询",
        "Social insurance contributions",
        "contributions",
        [
            F(key="month", label="费款所属期", label_en="Month"),
            F(key="scheme", label="险种", label_en="Scheme"),
            F(key="employer", label="缴费单位", label_en="Employer"),
            F(key="base", label="缴费基数（元）", label_en="Base (yuan)"),
            F(key="paid", label="个人缴费（元）", label_en="Personal part (yuan)"),
            F(key="status", label="到账状态", label_en="Status"),
        ],
    ),
    _decl(
        "hrss_pension",
        "养老金发放查询",
        "Pension payments",
        "pension",
        [
            F(key="month", label="发放年月", label_en="Month"),
            F(key="amount", label="发放金额（元）", label_en="Amount (yuan)"),
            F(key="bank", label="发放银行", label_en="Bank"),
            F(key="account", label="银行账号", label_en="Account", mask="account"),
            F(key="status", label="发放状态", label_en="Status"),
        ],
    ),
    _decl(
        "hrss_qualifications",
        "职业资格证书查询",
        "Vocational qualification certificates",
        "qualifications",
        [
            F(key="cert_no", label="证书编号", label_en="Certificate no.", mask="account"),
            F(key="title", label="证书名称", label_en="Certificate"),
            F(key="grade", label="等级", label_en="Grade"),
            F(key="issued", label="发证日期", label_en="Issued"),
            F(key="authority", label="发证机关", label_en="Issued by"),
        ],
    ),
    _decl(
        "hrss_unemployment",
        "失业保险金领取查询",
        "Unemployment benefit payments",
        "unemployment",
        [
            F(key="month", label="发放年月", label_en="Month"),
            F(key="amount", label="发放金额（元）", label_en="Amount (yuan)"),
            F(key="period", label="领取期数", label_en="Instalment"),
            F(key="status", label="发放状态", label_en="Status"),
        ],
    ),
]


def _person(p: Any, _i: Any) -> dict[str, str]:
    return person_args(p, "aac002", "aac003")


def _person_serial(p: Any, i: Any) -> dict[str, str]:
    """A card change: the person and our business serial (the department's idempotency key)."""
    return {**person_args(p, "aac002", "aac003"), "ywlsh": str(i["serial"])}


_CARD = {"card_no": "kh", "bank": "yhmc", "state": "kzt", "state_name": "kztmc"}
_CHANGE = {"serial": "ywlsh", "card_no": "kh", "state": "kzt", "state_name": "kztmc", "at": "clsj"}


OPS = {
    "contributions": Op(
        "POST",
        "/rs/api/si/payments",
        _person,
        {
            "month": "aae002",
            "scheme": "aae140_name",
            "employer": "aab004",
            "base": "aae180",
            "paid": "aae022",
            "status": "aae078_name",
        },
    ),
    "pension": Op(
        "POST",
        "/rs/api/pension/issues",
        _person,
        {
            "month": "aae002",
            "amount": "aae019",
            "bank": "aae009",
            "account": "aae010",
            "status": "ffzt",
        },
    ),
    "qualifications": Op(
        "POST",
        "/rs/api/cert/qualifications",
        _person,
        {"cert_no": "zsbh", "title": "zsmc", "grade": "dj", "issued": "fzrq", "authority": "fzjg"},
    ),
    "unemployment": Op(
        "POST",
        "/rs/api/ui/benefits",
        _person,
        {"month": "ffny", "amount": "ffje", "period": "lqqs", "status": "ffzt"},
    ),
    # certificates (cloud/kiosk/certs_decl.py) and the social security card (certs_card.py)
    "pension_voucher": Op(
        "POST",
        "/rs/api/cert/pension-voucher",
        _person,
        {
            "doc_no": "pzbh",
            "name": "aac003",
            "id_number": "aac002",
            "employer": "aab004",
            "first_month": "aae030",
            "last_month": "aae031",
            "months": "jfys",
            "paid_total": "grjfze",
            "state": "cbzt",
        },
        paged=False,
    ),
    "startup_cert": Op(
        "POST",
        "/rs/api/cert/jycyz",
        _person,
        {
            "doc_no": "jycyzh",
            "name": "aac003",
            "id_number": "aac002",
            "registered": "djrq",
            "state": "jyzt",
            "authority": "djjg",
        },
        paged=False,
    ),
    "card_status": Op("POST", "/rs/api/card/status", _person, _CARD, paged=False),
    "card_loss": Op("POST", "/rs/api/card/loss", _person_serial, _CHANGE, paged=False),
    "card_unloss": Op("POST", "/rs/api/card/unloss", _person_serial, _CHANGE, paged=False),
}


REFUSALS = {
    "E1001": (
        "未查询到您的参保信息。如有疑问，请到社保窗口咨询。",
        "You are not found as insured here. Please ask at the social insurance window.",
    ),
    "E1002": ("姓名与身份证号码不一致，请核对。", "The name does not match the ID number."),
    "E2004": ("未查询到相关记录。", "No record was found."),
    "E0001": (
        "查询信息有误，请核对后重试。",
        "Something entered is not valid. Please check it.",
    ),
    "E3001": (
        "您的社会保障卡已处于挂失状态，无需重复挂失。",
        "Your social security card is already reported lost.",
    ),
    "E3002": (
        "您的社会保障卡未挂失，无需解挂。",
        "Your social security card is not reported lost, so there is nothing to lift.",
    ),
    "E3003": (
        "未查询到您的社会保障卡信息，请到社保窗口咨询。",
        "No social security card was found for you. Please ask at the social insurance window.",
    ),
}


class Hrss(HttpDepartment):
    code = "hrss"
    name = "省人社厅"
    name_en = "the Human Resources and Social Security Department"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        return {}, {**args, "pageNo": page, "pageSize": size}

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        code, msg = str(body["resultCode"]), str(body.get("resultMsg", ""))
        if response.status_code in (401, 403):
            return Answer("auth", code=code, message=msg)
        if response.status_code == 503:
            end = body.get("maintainEnd")
            return Answer(
                "maintenance",
                code=code,
                message=msg,
                until=datetime.fromisoformat(end) if end else None,
            )
        if code != "0000":
            return Answer("refused", code=code, message=msg)
        return Answer("ok", body["result"])

    def page(self, payload: Any, size: int) -> Page:
        total = int(payload["totalCount"])
        return Page(list(payload["records"]), total, -(-total // size))


def build(endpoint: DepartmentEndpoint) -> Hrss:
    return Hrss(endpoint, HmacAuth(endpoint, "X-Ca-", "base64"))
