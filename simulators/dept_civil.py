"""The simulated 民政局 (civil affairs bureau) API, a typical Java back end: OAuth
client-credentials token, ``GET`` calls, answers ``{"code": "200", "message", "data"}`` with
the HTTP status mirrored in ``code`` (refusals ``"404"`` no record, ``"4091"`` name mismatch,
``"400"`` bad parameters; ``"401"`` a bad token; ``"503"`` maintenance with ``data.endTime``
``YYYY-MM-DD HH:mm`` Beijing time). Lists page MyBatis-Plus style: ``current``/``size`` →
``{"records", "total", "current", "size", "pages"}``.

``/mz/api/marriage`` 婚姻登记信息, ``/mz/api/gaoling/payments`` 高龄补贴发放,
``/mz/api/yanglao/institutions?keyword=`` 养老机构 (public), ``/mz/api/dibao`` 低保信息
(``idCard``, ``name``). The 高龄补贴 service's registrations and certifications
(``POST``, JSON bodies) are in ``simulators/dept_civil_allowance.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from simulators.dept_civil_allowance import AllowanceBook
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
from simulators.dept_people import (
    LI_GUIYING,
    MA_LI,
    MA_XIULAN,
    WANG_XIAOMING,
    ZHANG_JIANHUA,
    months,
)

BEIJING = timezone(timedelta(hours=8))
_CODES = ("404", "4091")
_GENERIC = {"BAD_PAGE": "400", "MISSING_PARAM": "400", "BAD_REQUEST": "400"}
MARRIAGES = {
    WANG_XIAOMING.id_number: ("结婚", "2015-10-01", "格尔木市民政局婚姻登记处", "马丽"),
    MA_LI.id_number: ("结婚", "2015-10-01", "格尔木市民政局婚姻登记处", "王晓明"),
    ZHANG_JIANHUA.id_number: ("离婚", "2019-04-16", "格尔木市民政局婚姻登记处", "赵敏"),
}
ALLOWANCES = {LI_GUIYING.id_number: ("202001", "202611", "80-89周岁", "100.00")}
DIBAO = {
    MA_XIULAN.id_number: ("城市低保", "2", "1580.00", "2023-04-01", "2027-03-31", "八一路社区")
}
HOMES = table(
    ("jgmc", "jgxz", "cws", "sycws", "dz", "lxdh"),
    ("格尔木市社会福利中心", "公办", "300", "42", "格尔木市金峰路18号", "0979-8411001"),
    ("格尔木市康乐老年公寓", "民办", "120", "15", "格尔木市河西街道盐湖路66号", "0979-8411002"),
    ("唐古拉山镇敬老院", "公办", "40", "9", "格尔木市唐古拉山镇", "0979-8411003"),
    ("格尔木市夕阳红养老院", "民办", "80", "0", "格尔木市郭镇", "0979-8411004"),
)


@dataclass
class CivilDepartment(DeptSimulator):
    code: str = "civil"
    auth: AuthMode = "token"
    #: the 高龄补贴 registrations and certifications this run received
    allowance: AllowanceBook = field(default_factory=lambda: AllowanceBook(paid=set(ALLOWANCES)))

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/mz/api/marriage"): self._marriage,
            ("GET", "/mz/api/gaoling/payments"): self._allowance,
            ("GET", "/mz/api/yanglao/institutions"): self._homes,
            ("GET", "/mz/api/dibao"): self._dibao,
            ("POST", "/mz/api/gaoling/applications"): self.allowance.register,
            ("POST", "/mz/api/gaoling/certifications"): self.allowance.certify,
        }

    def _marriage(self, params: dict[str, str]) -> dict[str, Any]:
        person = citizen(params, "idCard", "name", _CODES)
        kind, date, office, spouse = MARRIAGES.get(person.id_number) or _none()
        return {
            "djlx": kind,
            "djrq": date,
            "djjg": office,
            "dfxm": spouse,
            "hyzk": "已婚" if kind == "结婚" else "离婚",
        }

    def _allowance(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "idCard", "name", _CODES)
        first, last, tier, amount = ALLOWANCES.get(person.id_number) or _none()
        return Rows(
            [
                {"ffyf": m, "btdc": tier, "ffje": amount, "ffzt": "已发放"}
                for m in months(first, last)
            ]
        )

    def _homes(self, params: dict[str, str]) -> Rows:
        keyword = params.get("keyword", "")
        return Rows([h for h in HOMES if keyword in h["jgmc"] or keyword in h["dz"]])

    def _dibao(self, params: dict[str, str]) -> dict[str, Any]:
        person = citizen(params, "idCard", "name", _CODES)
        kind, size, amount, since, review, where = DIBAO.get(person.id_number) or _none()
        return {
            "dblx": kind,
            "bzrs": size,
            "yjze": amount,
            "xsrq": since,
            "fhrq": review,
            "sqsq": where,
            "zt": "在保",
        }

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"code": "200", "message": "操作成功", "data": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        body = {"code": _GENERIC.get(code, code), "message": message, "data": None}
        return web.json_response(body, status=status)

    def auth_refused(self, message: str) -> web.Response:
        return self.error(401, "401", message, None)

    def maintenance(self, until: datetime) -> web.Response:
        end = until.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
        return web.json_response(
            {"code": "503", "message": "系统维护中", "data": {"endTime": end}}, status=503
        )

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("current"), 1), _int(params.get("size"), 10)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        total = len(rows.items)
        return {
            "records": rows.items[(page - 1) * size : page * size],
            "total": total,
            "current": page,
            "size": size,
            "pages": max(1, -(-total // size)),
        }


def _none() -> Any:
    raise Refusal("404", "未查询到相关记录", 404)
