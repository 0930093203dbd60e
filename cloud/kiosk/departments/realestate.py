"""不动产登记中心 (real-estate registration): 不动产登记信息, 不动产办件进度. ``GET`` calls signed
with ``X-Bdc-*`` headers (hex HMAC-SHA256); answers ``{"status": "ok", "data"}`` or ``{"status":
"error", "error": {"code", "message"}}``; lists ``{"count", "next", "results"}``
(docs/departments.md)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx

from cloud.kiosk.departments.base import Person, QueryDecl, ResultField
from cloud.kiosk.departments.http_auth import HmacAuth
from cloud.kiosk.departments.http_common import Answer, HttpDepartment, Op, Page, person_args
from cloud.settings_kiosk import DepartmentEndpoint

F = ResultField
QUERIES = [
    QueryDecl(
        code="realestate_rights",
        name="不动产登记信息查询",
        name_en="Real estate registered to me",
        department="realestate",
        operation="rights",
        identity="person",
        layout="table",
        category="housing",
        fields=[
            F(key="cert_no", label="不动产权证号", label_en="Certificate no."),
            F(key="location", label="坐落", label_en="Location", mask="address"),
            F(key="area", label="面积（㎡）", label_en="Area (m²)"),
            F(key="use", label="用途", label_en="Use"),
            F(key="nature", label="权利性质", label_en="Nature"),
            F(key="registered", label="登记时间", label_en="Registered"),
            F(key="sharing", label="共有情况", label_en="Ownership"),
        ],
    ),
    QueryDecl(
        code="realestate_progress",
        name="不动产办件进度查询",
        name_en="Real estate application progress",
        department="realestate",
        operation="cases",
        identity="person",
        layout="timeline",
        category="housing",
        fields=[
            F(key="time", label="时间", label_en="Time"),
            F(key="node", label="环节", label_en="Step"),
            F(key="detail", label="办理意见", label_en="Detail"),
            F(key="case_no", label="受理编号", label_en="Case no."),
            F(key="business", label="登记类型", label_en="Registration"),
        ],
    ),
]


def _person(p: Person | None, _i: Mapping[str, str]) -> dict[str, str]:
    return person_args(p, "zjh", "qlrmc")


OPS = {
    "rights": Op(
        "GET",
        "/bdc/open/v1/rights",
        _person,
        {
            "cert_no": "bdcqzh",
            "location": "zl",
            "area": "mj",
            "use": "yt",
            "nature": "qlxz",
            "registered": "djsj",
            "sharing": "gyqk",
        },
    ),
    "cases": Op(
        "GET",
        "/bdc/open/v1/cases",
        _person,
        {"time": "blsj", "node": "hjmc", "detail": "blyj", "case_no": "slbh", "business": "ywlx"},
    ),
    # the 无房证明 certificate (cloud/kiosk/certs_decl.py)
    "no_housing": Op(
        "GET",
        "/bdc/open/v1/no-housing-proof",
        _person,
        {
            "doc_no": "zmbh",
            "name": "qlrmc",
            "id_number": "zjh",
            "scope": "cxfw",
            "finding": "cxjg",
            "searched_at": "cxsj",
        },
        paged=False,
    ),
}


REFUSALS = {
    "BDC-404": (
        "未查询到您名下的不动产登记信息。如有疑问，请到不动产窗口咨询。",
        "No real estate is registered to you. Please ask at the real estate window.",
    ),
    "BDC-409": ("姓名与身份证号码不一致，请核对。", "The name does not match the ID number."),
    "BDC-410": (
        "您名下有住宅类不动产登记，不能出具无房证明。如有疑问，请到不动产窗口咨询。",
        "A dwelling is registered to you, so no proof of owning no housing can be issued. "
        "Please ask at the real estate window.",
    ),
    "BDC-400": (
        "查询信息有误，请核对后重试。",
        "Something entered is not valid. Please check it.",
    ),
}


class RealEstate(HttpDepartment):
    code = "realestate"
    name = "不动产登记中心"
    name_en = "the Real Estate Registration Centre"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        return {**args, "page": str(page), "page_size": str(size)}, None

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        status = str(body["status"])
        error = body.get("error") or {}
        code, msg = str(error.get("code", "")), str(error.get("message", ""))
        if response.status_code in (401, 403):
            return Answer("auth", code=code, message=msg)
        if status == "maintenance":
            until = body.get("until")
            return Answer(
                "maintenance",
                message=status,
                until=datetime.fromisoformat(until) if until else None,
            )
        if status != "ok":
            return Answer("refused", code=code, message=msg)
        return Answer("ok", body["data"])

    def page(self, payload: Any, size: int) -> Page:
        total = int(payload["count"])
        return Page(list(payload["results"]), total, -(-total // size))


def build(endpoint: DepartmentEndpoint) -> RealEstate:
    return RealEstate(endpoint, HmacAuth(endpoint, "X-Bdc-", "hex"))
