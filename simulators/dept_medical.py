"""The simulated 医保局 (healthcare security bureau) API, in the style of the national medical
insurance platform: OAuth client-credentials token, then ``POST /fsi/api/<service>`` with
``{"infno", "msgid", "input": {...}}`` (``certno``, ``psn_name``, ``page_num``,
``page_size``). Answers HTTP 200 ``{"infcode": 0, "err_msg": null, "output": {...}}``; a
refusal is HTTP 200 with ``infcode`` -1 and ``err_code`` (``NO_INSU`` not insured here,
``NAME_ERR`` name mismatch, ``PARAM_ERR``); a bad token is 401 ``infcode`` -401; maintenance is
503 ``infcode`` -503 with ``output.maint_end`` ``yyyyMMddHHmmss`` (Beijing time). Lists are
``output.data`` with ``recordCounts``/``pageNum``/``pages``.

``balance`` (1101) 医保账户余额, ``payments`` (9001) 医保缴费记录,
``institutions`` (1201) 定点医药机构 (public: ``fixmedins_type`` 1 hospital / 2 pharmacy,
``keyword``).
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
from simulators.dept_people import (
    LI_GUIYING,
    MA_LI,
    MA_XIULAN,
    WANG_XIAOMING,
    ZHANG_JIANHUA,
    months,
)

BEIJING = timezone(timedelta(hours=8))
_CODES = ("NO_INSU", "NAME_ERR")
_GENERIC = {"BAD_PAGE": "PARAM_ERR", "MISSING_PARAM": "PARAM_ERR", "BAD_REQUEST": "PARAM_ERR"}
#: insured people: (scheme, account balance, paid from YYYYMM, monthly personal payment)
INSURED = {
    WANG_XIAOMING.id_number: ("职工基本医疗保险", "4386.20", "201007", "104.00"),
    ZHANG_JIANHUA.id_number: ("职工基本医疗保险", "6120.75", "200109", "122.00"),
    MA_XIULAN.id_number: ("职工基本医疗保险（退休）", "2210.40", "199001", "0.00"),
    LI_GUIYING.id_number: ("城乡居民基本医疗保险", "0.00", "201201", "380.00"),
    MA_LI.id_number: ("城乡居民基本医疗保险", "0.00", "201501", "380.00"),
}
INSTITUTIONS = table(
    ("fixmedins_code", "fixmedins_name", "fixmedins_type", "hosp_lv", "addr", "tel"),
    ("H63280100001", "格尔木市人民医院", "1", "三级乙等", "格尔木市昆仑中路15号", "0979-8412345"),
    (
        "H63280100002",
        "青海省第五人民医院（格尔木）",
        "1",
        "二级甲等",
        "格尔木市八一中路28号",
        "0979-8423456",
    ),
    ("H63280100003", "格尔木市中医医院", "1", "二级甲等", "格尔木市柴达木路66号", "0979-8434567"),
    (
        "H63280100011",
        "黄河路街道社区卫生服务中心",
        "1",
        "一级",
        "格尔木市黄河路31号",
        "0979-8445678",
    ),
    ("H63280100021", "唐古拉山镇卫生院", "1", "一级", "格尔木市唐古拉山镇沱沱河", "0979-8456789"),
    ("P63280100101", "青海康泰大药房昆仑路店", "2", "—", "格尔木市昆仑中路102号", "0979-8467890"),
    ("P63280100102", "格尔木益民药店", "2", "—", "格尔木市八一中路77号", "0979-8478901"),
    ("P63280100103", "国药控股格尔木大药房", "2", "—", "格尔木市江源南路8号", "0979-8489012"),
)


@dataclass
class MedicalDepartment(DeptSimulator):
    code: str = "medical"
    auth: AuthMode = "token"

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("POST", "/fsi/api/balance"): self._balance,
            ("POST", "/fsi/api/payments"): self._payments,
            ("POST", "/fsi/api/institutions"): self._institutions,
        }

    def params(self, query: dict[str, str], body: Any) -> dict[str, str]:
        return {str(k): str(v) for k, v in dict(body.get("input") or {}).items()}

    def _insured(self, params: dict[str, str]) -> tuple[str, str, str, str]:
        person = citizen(params, "certno", "psn_name", _CODES)
        if person.id_number not in INSURED:
            raise Refusal("NO_INSU", "未查询到参保信息")
        return INSURED[person.id_number]

    def _balance(self, params: dict[str, str]) -> dict[str, Any]:
        scheme, balance, since, _ = self._insured(params)
        return {
            "insutype_name": scheme,
            "balc": balance,
            "psn_insu_stas": "正常参保",
            "insu_admdvs": "632801",
            "begndate": f"{since[:4]}-{since[4:]}-01",
            "upd_time": "2026-12-06 02:00:00",
        }

    def _payments(self, params: dict[str, str]) -> Rows:
        scheme, _, since, amount = self._insured(params)
        if amount == "0.00":
            raise Refusal("NO_INSU", "退休人员无个人缴费记录")
        yearly = amount == "380.00"
        periods = [m for m in months(since, "202612") if not yearly or m.endswith("01")]
        rows = [
            {
                "accrym": p[:4] if yearly else p,
                "insutype_name": scheme,
                "psn_clct_amt": amount,
                "clct_flag": "已缴",
            }
            for p in periods
        ]
        return Rows(rows)

    def _institutions(self, params: dict[str, str]) -> Rows:
        kind, keyword = params.get("fixmedins_type", ""), params.get("keyword", "")
        if kind not in ("", "1", "2"):
            raise Refusal("PARAM_ERR", "fixmedins_type must be 1 or 2")
        found = [
            i
            for i in INSTITUTIONS
            if kind in ("", i["fixmedins_type"]) and keyword in i["fixmedins_name"]
        ]
        return Rows(found)

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"infcode": 0, "err_msg": None, "output": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        body = {
            "infcode": -1,
            "err_code": _GENERIC.get(code, code),
            "err_msg": message,
            "output": None,
        }
        return web.json_response(body)

    def auth_refused(self, message: str) -> web.Response:
        return web.json_response({"infcode": -401, "err_msg": message, "output": None}, status=401)

    def maintenance(self, until: datetime) -> web.Response:
        end = until.astimezone(BEIJING).strftime("%Y%m%d%H%M%S")
        body = {"infcode": -503, "err_msg": "医保信息平台维护中", "output": {"maint_end": end}}
        return web.json_response(body, status=503)

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("page_num"), 1), _int(params.get("page_size"), 10)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        total = len(rows.items)
        return {
            "data": rows.items[(page - 1) * size : page * size],
            "recordCounts": total,
            "pageNum": page,
            "pages": max(1, -(-total // size)),
        }
