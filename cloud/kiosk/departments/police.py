"""公安厅 (public security): 户籍信息, 身份证办理进度, 机动车违章 (by plate), 出入境证件办理进度.
``GET`` calls signed with ``X-*`` headers (hex HMAC-SHA256); answers ``{"success", "data",
"errorCode", "errorMsg"}``; lists page by ``offset``/``limit`` (docs/departments.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from cloud.kiosk.departments.base import Person, QueryDecl, QueryInput, ResultField
from cloud.kiosk.departments.http_auth import HmacAuth
from cloud.kiosk.departments.http_common import Answer, HttpDepartment, Op, Page, person_args
from cloud.settings_kiosk import DepartmentEndpoint

F = ResultField
_STEPS = [
    F(key="time", label="时间", label_en="Time"),
    F(key="node", label="环节", label_en="Step"),
    F(key="detail", label="说明", label_en="Detail"),
]
QUERIES = [
    QueryDecl(
        code="police_household",
        name="户籍信息查询",
        name_en="Household registration",
        department="police",
        operation="household",
        identity="person",
        layout="record",
        category="household",
        fields=[
            F(key="name", label="姓名", label_en="Name", mask="name"),
            F(key="sex", label="性别", label_en="Sex"),
            F(key="birth", label="出生日期", label_en="Date of birth"),
            F(key="address", label="户籍地址", label_en="Registered address", mask="address"),
            F(key="relation", label="与户主关系", label_en="Relation to head"),
            F(key="kind", label="户别", label_en="Household type"),
            F(key="station", label="所属派出所", label_en="Police station"),
        ],
    ),
    QueryDecl(
        code="police_idcard_progress",
        name="身份证办理进度查询",
        name_en="ID card application progress",
        department="police",
        operation="idcard_progress",
        identity="person",
        layout="timeline",
        category="household",
        fields=_STEPS,
    ),
    QueryDecl(
        code="police_traffic_violations",
        name="机动车违章查询",
        name_en="Traffic violations by plate",
        department="police",
        operation="violations",
        identity="public",
        layout="table",
        category="transport",
        inputs=[
            QueryInput(
                name="plate",
                label="号牌号码",
                label_en="Plate number",
                kind="plate",
                pattern=r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}$",
            ),
            QueryInput(
                name="engine_tail",
                label="发动机号后六位",
                label_en="Last 6 of engine no.",
                kind="alnum",
                pattern=r"^[A-Z0-9]{6}$",
            ),
        ],
        fields=[
            F(key="time", label="违法时间", label_en="Time"),
            F(key="place", label="违法地点", label_en="Place"),
            F(key="offence", label="违法行为", label_en="Offence"),
            F(key="fine", label="罚款（元）", label_en="Fine (yuan)"),
            F(key="points", label="记分", label_en="Points"),
            F(key="handled", label="处理状态", label_en="Handled"),
        ],
    ),
    QueryDecl(
        code="police_exit_entry_progress",
        name="出入境证件办理进度查询",
        name_en="Passport and travel permit progress",
        department="police",
        operation="exit_entry_progress",
        identity="person",
        layout="timeline",
        category="household",
        fields=[*_STEPS, F(key="document", label="证件类型", label_en="Document")],
    ),
]


def _person(p: Person | None, _i: Mapping[str, str]) -> dict[str, str]:
    return person_args(p, "idNo", "name")


def _plate(_p: Person | None, i: Mapping[str, str]) -> dict[str, str]:
    return {"plate": i.get("plate", ""), "engineTail": i.get("engine_tail", "")}


_STEP_WIRE = {"time": "time", "node": "node", "detail": "detail"}
OPS = {
    "household": Op(
        "GET",
        "/gaj/v2/hukou",
        _person,
        {
            "name": "xm",
            "sex": "xb",
            "birth": "csrq",
            "address": "hjdz",
            "relation": "yhzgx",
            "kind": "hlx",
            "station": "sspcs",
        },
        paged=False,
        as_of="updated",
    ),
    "idcard_progress": Op("GET", "/gaj/v2/idcard/progress", _person, _STEP_WIRE),
    "violations": Op(
        "GET",
        "/gaj/v2/traffic/violations",
        _plate,
        {
            "time": "wfsj",
            "place": "wfdd",
            "offence": "wfxw",
            "fine": "fkje",
            "points": "wfjfs",
            "handled": "clbj",
        },
    ),
    "exit_entry_progress": Op(
        "GET", "/gaj/v2/exit-entry/progress", _person, {**_STEP_WIRE, "document": "doc"}
    ),
}


REFUSALS = {
    "P404": (
        "未查询到办理记录。如有疑问，请到公安窗口咨询。",
        "No record was found. Please ask at the police service window.",
    ),
    "P409": ("姓名与身份证号码不一致，请核对。", "The name does not match the ID number."),
    "P422": (
        "号牌号码与发动机号后六位不匹配，请核对行驶证。",
        "The plate and the engine number do not match. Please check the vehicle licence.",
    ),
    "P400": (
        "查询信息有误，请核对后重试。",
        "Something entered is not valid. Please check it.",
    ),
}


class Police(HttpDepartment):
    code = "police"
    name = "省公安厅"
    name_en = "the Public Security Department"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        paging = {"offset": str((page - 1) * size), "limit": str(size)} if op.paged else {}
        return {**args, **paging}, None

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        code, msg = str(body.get("errorCode") or ""), str(body.get("errorMsg") or "")
        if response.status_code in (401, 403):
            return Answer("auth", code=code, message=msg)
        if response.status_code == 503:
            until = (body.get("data") or {}).get("until")
            return Answer(
                "maintenance",
                code=code,
                message=msg,
                until=datetime.fromisoformat(until) if until else None,
            )
        if body["success"] is not True:
            return Answer("refused", code=code, message=msg)
        return Answer("ok", body["data"])

    def page(self, payload: Any, size: int) -> Page:
        total = int(payload["total"])
        return Page(list(payload["items"]), total, -(-total // size))


def build(endpoint: DepartmentEndpoint) -> Police:
    return Police(endpoint, HmacAuth(endpoint, "X-", "hex"))
