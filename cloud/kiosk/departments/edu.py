"""教育厅 (the provincial education department): 学历, 高考录取, 教师资格. Its API answers HTTP
200 with ``{"code": 0, "msg", "data"}`` (a refusal is a nonzero ``code``), signs in with an
OAuth client-credentials token, pages with ``pageNum``/``pageSize`` (docs/departments.md)."""

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
        code="edu_degree",
        name="学历信息查询",
        name_en="Academic degrees",
        department="edu",
        operation="degrees",
        identity="person",
        layout="table",
        category="education",
        fields=[
            F(key="school", label="毕业院校", label_en="School"),
            F(key="major", label="专业", label_en="Major"),
            F(key="level", label="层次", label_en="Level"),
            F(key="mode", label="学习形式", label_en="Mode of study"),
            F(key="graduated", label="毕业日期", label_en="Graduated"),
            F(key="cert_no", label="证书编号", label_en="Certificate no.", mask="account"),
        ],
    ),
    QueryDecl(
        code="edu_gaokao",
        name="高考录取查询",
        name_en="College admission (gaokao)",
        department="edu",
        operation="admission",
        identity="person",
        layout="record",
        category="education",
        inputs=[
            QueryInput(
                name="year",
                label="考试年份",
                label_en="Exam year",
                kind="digits",
                pattern=r"^(19[89]\d|20\d\d)$",
            )
        ],
        fields=[
            F(key="year", label="年份", label_en="Year"),
            F(key="exam_no", label="考生号", label_en="Candidate no.", mask="account"),
            F(key="track", label="科类", label_en="Track"),
            F(key="batch", label="录取批次", label_en="Batch"),
            F(key="school", label="录取院校", label_en="Admitted to"),
            F(key="major", label="录取专业", label_en="Major"),
            F(key="status", label="录取状态", label_en="Status"),
        ],
    ),
    QueryDecl(
        code="edu_teacher_cert",
        name="教师资格证书查询",
        name_en="Teacher qualification certificates",
        department="edu",
        operation="teacher_certs",
        identity="person",
        layout="table",
        category="education",
        fields=[
            F(key="cert_no", label="证书号码", label_en="Certificate no.", mask="account"),
            F(key="kind", label="资格种类", label_en="Qualification"),
            F(key="subject", label="任教学科", label_en="Subject"),
            F(key="issued", label="签发日期", label_en="Issued"),
            F(key="authority", label="认定机构", label_en="Certified by"),
        ],
    ),
]


def _year(person: Person | None, inputs: Mapping[str, str]) -> dict[str, str]:
    return {**person_args(person, "sfzh", "xm"), "year": inputs.get("year", "")}


OPS = {
    "degrees": Op(
        "GET",
        "/api/v1/xueli",
        lambda p, _i: person_args(p, "sfzh", "xm"),
        {
            "school": "yxmc",
            "major": "zymc",
            "level": "cc",
            "mode": "xxxs",
            "graduated": "byrq",
            "cert_no": "zsbh",
        },
    ),
    "admission": Op(
        "GET",
        "/api/v1/gaokao/luqu",
        _year,
        {
            "year": "nf",
            "exam_no": "ksh",
            "track": "kl",
            "batch": "pc",
            "school": "lqyx",
            "major": "lqzy",
            "status": "zt",
        },
        paged=False,
    ),
    "teacher_certs": Op(
        "GET",
        "/api/v1/jszg",
        lambda p, _i: person_args(p, "sfzh", "xm"),
        {
            "cert_no": "zsh",
            "kind": "zgzl",
            "subject": "rjxk",
            "issued": "qfrq",
            "authority": "rdjg",
        },
    ),
}


REFUSALS = {
    "40401": (
        "未查询到相关记录。如有疑问，请携带身份证到窗口咨询。",
        "No record was found. If in doubt, bring your ID card to a service window.",
    ),
    "40002": ("姓名与身份证号码不一致，请核对。", "The name does not match the ID number."),
    "40000": (
        "查询信息填写有误，请核对后重试。",
        "Something entered is not valid. Please check it.",
    ),
}


class Edu(HttpDepartment):
    code = "edu"
    name = "省教育厅"
    name_en = "the Education Department"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        paging = {"pageNum": str(page), "pageSize": str(size)} if op.paged else {}
        return {**args, **paging}, None

    def parse(self, response: httpx.Response) -> Answer:
        body = response.json()
        code, msg = int(body["code"]), str(body.get("msg", ""))
        if response.status_code == 401 or code == 40100:
            return Answer("auth", code=str(code), message=msg)
        if response.status_code == 503 or code == 50300:
            data = body.get("data") or {}
            until = data.get("recoverTime")
            when = (
                datetime.strptime(until, "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
                if until
                else None
            )
            return Answer("maintenance", code=str(code), message=msg, until=when)
        if code != 0:
            return Answer("refused", code=str(code), message=msg)
        return Answer("ok", body["data"])

    def page(self, payload: Any, size: int) -> Page:
        return Page(list(payload["list"]), int(payload["total"]), int(payload["pages"]))


def build(endpoint: DepartmentEndpoint) -> Edu:
    return Edu(endpoint, TokenAuth(endpoint))
