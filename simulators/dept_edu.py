"""The simulated 教育厅 (provincial education department) API: OAuth client-credentials token,
answers always HTTP 200 with ``{"code": 0, "msg", "data"}`` (a refusal is a nonzero ``code``:
40000 bad parameters, 40002 name does not match, 40401 no record), 401 ``{"code": 40100}`` for
a bad token, 503 ``{"code": 50300, "data": {"recoverTime": "YYYY-MM-DD HH:MM:SS"}}`` (Beijing
time) in a maintenance window. Paging ``pageNum``/``pageSize`` → ``{"list", "total",
"pageNum", "pageSize", "pages"}``.

``GET /api/v1/xueli?sfzh=&xm=`` 学历 (table), ``GET /api/v1/gaokao/luqu?sfzh=&xm=&year=`` 高考录取
(record), ``GET /api/v1/jszg?sfzh=&xm=`` 教师资格 (table).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from simulators.dept_common import (
    AuthMode,
    DeptSimulator,
    Handler,
    Refusal,
    Rows,
    _int,
    citizen,
    table,
)
from simulators.dept_people import CAIRANG, MA_LI, MA_XIULAN, WANG_XIAOMING, ZHANG_JIANHUA

BEIJING = timezone(timedelta(hours=8))
_CODES = ("40401", "40002")
_CODE_STATUS = {"BAD_PAGE": "40000", "MISSING_PARAM": "40000", "BAD_REQUEST": "40000"}

_DEGREE = ("yxmc", "zymc", "cc", "xxxs", "byrq", "zsbh")
DEGREES = {
    WANG_XIAOMING.id_number: table(
        _DEGREE,
        ("青海大学", "土木工程", "本科", "普通全日制", "2010-07-01", "107431201005000123"),
        (
            "青海大学",
            "建筑与土木工程",
            "硕士研究生",
            "非全日制",
            "2016-06-30",
            "107431201602000456",
        ),
        (
            "西南交通大学",
            "工程管理",
            "第二学士学位",
            "网络教育",
            "2021-01-10",
            "106131202105000789",
        ),
    ),
    ZHANG_JIANHUA.id_number: table(
        _DEGREE,
        ("青海师范大学", "汉语言文学", "本科", "普通全日制", "2001-07-01", "107461200105001177"),
    ),
    MA_LI.id_number: table(
        _DEGREE,
        ("青海民族大学", "护理学", "专科", "普通全日制", "2013-06-30", "107481201306000321"),
    ),
}
_ADMISSION = ("nf", "ksh", "lqyx", "lqzy", "pc", "zt", "kl")
ADMISSIONS = {
    (CAIRANG.id_number, "2022"): table(
        _ADMISSION,
        (2022, "22630801150123", "青海大学", "水利水电工程", "本科一批", "已录取", "理工类"),
    )[0],
    (MA_LI.id_number, "2010"): table(
        _ADMISSION,
        (2010, "10630801150456", "青海民族大学", "护理学", "高职（专科）批", "已录取", "理工类"),
    )[0],
}
_TEACHER = ("zsh", "zgzl", "rjxk", "qfrq", "rdjg")
TEACHERS = {
    ZHANG_JIANHUA.id_number: table(
        _TEACHER,
        ("20016320042000123", "高级中学教师资格", "语文", "2001-12-20", "青海省教育厅"),
        ("19996320022000456", "初级中学教师资格", "语文", "1999-12-15", "格尔木市教育局"),
    ),
    MA_XIULAN.id_number: table(
        _TEACHER, ("19906320011000789", "小学教师资格", "数学", "1990-09-01", "格尔木市教育局")
    ),
}


@dataclass
class EduDepartment(DeptSimulator):
    code: str = "edu"
    auth: AuthMode = "token"

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/api/v1/xueli"): self._degrees,
            ("GET", "/api/v1/gaokao/luqu"): self._admission,
            ("GET", "/api/v1/jszg"): self._teacher,
        }

    def _degrees(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "sfzh", "xm", _CODES)
        if person.id_number not in DEGREES:
            raise Refusal("40401", "未查询到学历信息")
        return Rows(DEGREES[person.id_number])

    def _admission(self, params: dict[str, str]) -> dict[str, Any]:
        person = citizen(params, "sfzh", "xm", _CODES)
        found = ADMISSIONS.get((person.id_number, params.get("year", "")))
        if found is None:
            raise Refusal("40401", "未查询到该年度录取信息")
        return found

    def _teacher(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "sfzh", "xm", _CODES)
        if person.id_number not in TEACHERS:
            raise Refusal("40401", "未查询到教师资格证书")
        return Rows(TEACHERS[person.id_number])

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"code": 0, "msg": "success", "data": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        body = {"code": int(_CODE_STATUS.get(code, code)), "msg": message, "data": None}
        return web.json_response(body, status=200)

    def auth_refused(self, message: str) -> web.Response:
        return web.json_response({"code": 40100, "msg": message, "data": None}, status=401)

    def maintenance(self, until: datetime) -> web.Response:
        local = until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        body = {"code": 50300, "msg": "系统维护中", "data": {"recoverTime": local}}
        return web.json_response(body, status=503)

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("pageNum"), 1), _int(params.get("pageSize"), 10)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        total = len(rows.items)
        chunk = rows.items[(page - 1) * size : page * size]
        pages = max(1, -(-total // size))
        return {"list": chunk, "total": total, "pageNum": page, "pageSize": size, "pages": pages}
