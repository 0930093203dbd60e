"""民政局 (civil affairs): 婚姻登记信息, 高龄补贴发放, 养老机构 (public), 低保信息. OAuth token,
``GET`` calls (and the 高龄补贴 service's two ``POST`` operations, docs/kiosk-elderly.md:
``allowance_register`` 登记, ``allowance_certify`` the periodic 生存认证); answers
``{"code": "200", "message", "data"}``; lists MyBatis-Plus style ``{"records", "total",
"current", "size", "pages"}`` (docs/departments.md)."""

from __future__ import annotations

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
        code="civil_marriage",
        name="婚姻登记信息查询",
        name_en="Marriage registration",
        department="civil",
        operation="marriage",
        identity="person",
        layout="record",
        category="welfare",
        printable=False,
        fields=[
            F(key="status", label="婚姻状况", label_en="Marital status"),
            F(key="kind", label="登记类型", label_en="Registration"),
            F(key="date", label="登记日期", label_en="Date"),
            F(key="office", label="登记机关", label_en="Registry"),
            F(key="spouse", label="对方姓名", label_en="Spouse", mask="name"),
        ],
    ),
    QueryDecl(
        code="civil_elderly_allowance",
        name="高龄补贴发放查询",
        name_en="Old-age allowance payments",
        department="civil",
        operation="allowance",
        identity="person",
        layout="table",
        category="welfare",
        fields=[
            F(key="month", label="发放月份", label_en="Month"),
            F(key="tier", label="补贴档次", label_en="Tier"),
            F(key="amount", label="金额（元）", label_en="Amount (yuan)"),
            F(key="status", label="状态", label_en="Status"),
        ],
    ),
    QueryDecl(
        code="civil_care_homes",
        name="养老机构查询",
        name_en="Care homes for the elderly",
        department="civil",
        operation="care_homes",
        identity="public",
        layout="table",
        category="welfare",
        inputs=[
            QueryInput(
                name="keyword",
                label="名称或地址关键字",
                label_en="Name or address contains",
                kind="alnum",
                required=False,
            )
        ],
        fields=[
            F(key="name", label="机构名称", label_en="Name"),
            F(key="nature", label="性质", label_en="Run by"),
            F(key="beds", label="床位数", label_en="Beds"),
            F(key="free_beds", label="空余床位", label_en="Free beds"),
            F(key="address", label="地址", label_en="Address"),
            F(key="phone", label="电话", label_en="Phone"),
        ],
    ),
    QueryDecl(
        code="civil_dibao",
        name="低保信息查询",
        name_en="Minimum living allowance (dibao)",
        department="civil",
        operation="dibao",
        identity="person",
        layout="record",
        category="welfare",
        fields=[
            F(key="kind", label="保障类别", label_en="Kind"),
            F(key="status", label="保障状态", label_en="Status"),
            F(key="members", label="保障人数", label_en="People covered"),
            F(key="amount", label="月保障金（元）", label_en="Monthly amount (yuan)"),
            F(key="since", label="享受起始日期", label_en="Since"),
            F(key="review", label="下次复核日期", label_en="Next review"),
            F(key="community", label="申请社区", label_en="Community"),
        ],
    ),
]


def _person(p: Person | None, _i: Mapping[str, str]) -> dict[str, str]:
    return person_args(p, "idCard", "name")


#: the registration form's fields (cloud/kiosk/elderly_form.py) → the 民政局's names
REGISTER_ARGS = {
    "sex": "xb",
    "birth": "csrq",
    "address": "hjdz",
    "phone": "lxdh",
    "community": "sqjd",
    "bank": "khyh",
    "bank_card": "yhkh",
    "channel": "sqqd",
}


def _register(p: Person | None, i: Mapping[str, str]) -> dict[str, str]:
    return {**_person(p, i), **{wire: i.get(key, "") for key, wire in REGISTER_ARGS.items()}}


def _certify(p: Person | None, i: Mapping[str, str]) -> dict[str, str]:
    args = {"rzjg": i.get("result", ""), "rzfs": i.get("method", ""), "zdbh": i.get("device", "")}
    return {**_person(p, i), **args}


OPS = {
    "marriage": Op(
        "GET",
        "/mz/api/marriage",
        _person,
        {"status": "hyzk", "kind": "djlx", "date": "djrq", "office": "djjg", "spouse": "dfxm"},
        paged=False,
    ),
    "allowance": Op(
        "GET",
        "/mz/api/gaoling/payments",
        _person,
        {"month": "ffyf", "tier": "btdc", "amount": "ffje", "status": "ffzt"},
    ),
    "care_homes": Op(
        "GET",
        "/mz/api/yanglao/institutions",
        lambda _p, i: {"keyword": i.get("keyword", "")},
        {
            "name": "jgmc",
            "nature": "jgxz",
            "beds": "cws",
            "free_beds": "sycws",
            "address": "dz",
            "phone": "lxdh",
        },
    ),
    "dibao": Op(
        "GET",
        "/mz/api/dibao",
        _person,
        {
            "kind": "dblx",
            "status": "zt",
            "members": "bzrs",
            "amount": "yjze",
            "since": "xsrq",
            "review": "fhrq",
            "community": "sqsq",
        },
        paged=False,
    ),
    "allowance_register": Op(
        "POST",
        "/mz/api/gaoling/applications",
        _register,
        {"application_no": "sqbh", "status": "zt", "accepted_at": "slsj", "tier": "btdc"},
        paged=False,
    ),
    "allowance_certify": Op(
        "POST",
        "/mz/api/gaoling/certifications",
        _certify,
        {"certification_no": "rzbh", "status": "zt", "next_due": "xcrzrq"},
        paged=False,
    ),
}


REFUSALS = {
    "404": (
        "未查询到相关记录。如有疑问，请到民政窗口咨询。",
        "No record was found. Please ask at the civil affairs window.",
    ),
    "4091": ("姓名与身份证号码不一致，请核对。", "The name does not match the ID number."),
    "400": ("查询信息有误，请核对后重试。", "Something entered is not valid. Please check it."),
    # the 高龄补贴 service's own refusals (registration, certification)
    "4092": (
        "您已登记过高龄补贴，无需重复登记。如需变更银行卡，请到民政窗口办理。",
        "You are already registered for the allowance. To change the bank card, ask at the "
        "civil affairs window.",
    ),
    "4093": (
        "民政局核定您未满70周岁，暂不能登记高龄补贴。",
        "The Civil Affairs Bureau finds you are not yet 70: you cannot register yet.",
    ),
    "4094": (
        "银行卡号有误或不是本人账户，请核对银行卡后重新填写。",
        "The bank card is wrong or not in your name. Please check the card and fill it in again.",
    ),
    "4095": (
        "未查询到您的高龄补贴登记，请先登记高龄补贴。",
        "You are not registered for the old-age allowance. Please register first.",
    ),
}


class Civil(HttpDepartment):
    code = "civil"
    name = "市民政局"
    name_en = "the Civil Affairs Bureau"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        paging = {"current": str(page), "size": str(size)} if op.paged else {}
        if op.method == "POST":  # the 高龄补贴 service's writes: a JSON body
            return paging, args
        return {**args, **paging}, None

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        code, msg = str(body["code"]), str(body.get("message", ""))
        if response.status_code == 401 or code == "401":
            return Answer("auth", code=code, message=msg)
        if response.status_code == 503 or code == "503":
            end = (body.get("data") or {}).get("endTime")
            until = (
                datetime.strptime(end, "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING) if end else None
            )
            return Answer("maintenance", code=code, message=msg, until=until)
        if code != "200":
            return Answer("refused", code=code, message=msg)
        return Answer("ok", body["data"])

    def page(self, payload: Any, size: int) -> Page:
        return Page(list(payload["records"]), int(payload["total"]), int(payload["pages"]))


def build(endpoint: DepartmentEndpoint) -> Civil:
    return Civil(endpoint, TokenAuth(endpoint))
