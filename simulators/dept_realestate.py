"""The simulated 不动产登记中心 (real-estate registration centre) open API: ``GET`` calls signed
with ``X-Bdc-App-Id``/``X-Bdc-Timestamp``/``X-Bdc-Nonce``/``X-Bdc-Signature`` (hex
HMAC-SHA256), answers ``{"status": "ok", "data"}``; a refusal is HTTP 4xx ``{"status":
"error", "error": {"code": "BDC-404"|"BDC-409"|"BDC-400", "message"}}``; a bad signature is
401 ``BDC-401``; maintenance is 503 ``{"status": "maintenance", "until"}``. Lists page like a
REST framework: ``page``/``page_size`` → ``{"count", "next", "results"}``.

``/bdc/open/v1/rights?zjh=&qlrmc=`` 不动产登记信息,
``/bdc/open/v1/cases?zjh=&qlrmc=`` 不动产办件进度,
``/bdc/open/v1/no-housing-proof?zjh=&qlrmc=`` 无房证明 (a record; refused ``BDC-410`` when a
dwelling is registered to the person: no such proof can be issued).
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
from simulators.dept_people import MA_XIULAN, WANG_XIAOMING, ZHANG_JIANHUA

BEIJING = timezone(timedelta(hours=8))
_CODES = ("BDC-404", "BDC-409")
_GENERIC = {"BAD_PAGE": "BDC-400", "MISSING_PARAM": "BDC-400", "BAD_REQUEST": "BDC-400"}
_RIGHT = ("bdcqzh", "zl", "mj", "yt", "qlxz", "djsj", "gyqk")
RIGHTS = {
    WANG_XIAOMING.id_number: table(
        _RIGHT,
        (
            "青（2019）格尔木市不动产权第0012345号",
            "格尔木市昆仑中路18号3单元201室",
            "98.56",
            "住宅",
            "市场化商品房",
            "2019-06-12",
            "共同共有",
        ),
        (
            "青（2023）格尔木市不动产权第0034567号",
            "格尔木市昆仑中路18号地下车位B-112",
            "13.20",
            "车位",
            "市场化商品房",
            "2023-02-08",
            "单独所有",
        ),
    ),
    MA_XIULAN.id_number: table(
        _RIGHT,
        (
            "青（2008）格尔木市房权证字第008765号",
            "格尔木市八一路社区团结巷7号",
            "76.30",
            "住宅",
            "房改房",
            "2008-09-30",
            "单独所有",
        ),
    ),
    ZHANG_JIANHUA.id_number: table(
        _RIGHT,
        (
            "青（2016）格尔木市不动产权第0005432号",
            "格尔木市柴达木路120号2号楼502室",
            "112.40",
            "住宅",
            "市场化商品房",
            "2016-11-03",
            "单独所有",
        ),
    ),
}
CASES = {
    WANG_XIAOMING.id_number: table(
        ("slbh", "hjmc", "blsj", "blyj", "ywlx"),
        ("BDC2026112000123", "受理", "2026-11-20 10:15", "资料齐全，予以受理", "抵押权注销登记"),
        ("BDC2026112000123", "审核", "2026-11-21 14:30", "审核通过", "抵押权注销登记"),
        ("BDC2026112000123", "登簿", "2026-11-22 09:40", "已记载于不动产登记簿", "抵押权注销登记"),
    ),
}


@dataclass
class RealEstateDepartment(DeptSimulator):
    code: str = "realestate"
    auth: AuthMode = "hmac"
    header_prefix: str = "X-Bdc-"

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/bdc/open/v1/rights"): self._rights,
            ("GET", "/bdc/open/v1/cases"): self._cases,
            ("GET", "/bdc/open/v1/no-housing-proof"): self._no_housing,
        }

    def _no_housing(self, params: dict[str, str]) -> dict[str, Any]:
        person = citizen(params, "zjh", "qlrmc", _CODES)
        if any(r["yt"] == "住宅" for r in RIGHTS.get(person.id_number, [])):
            raise Refusal("BDC-410", "申请人名下有住宅登记，不能出具无房证明", 409)
        return {
            "zmbh": "WF" + person.id_number[-6:] + datetime.now(BEIJING).strftime("%Y%m%d"),
            "qlrmc": person.name,
            "zjh": person.id_number,
            "cxfw": "格尔木市行政区域内",
            "cxjg": "未查询到申请人名下住宅类不动产登记信息",
            "cxsj": datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M"),
        }

    def _rights(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "zjh", "qlrmc", _CODES)
        return Rows(RIGHTS.get(person.id_number) or _none())

    def _cases(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "zjh", "qlrmc", _CODES)
        return Rows(CASES.get(person.id_number) or _none())

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"status": "ok", "data": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        body = {"status": "error", "error": {"code": _GENERIC.get(code, code), "message": message}}
        return web.json_response(body, status=status)

    def auth_refused(self, message: str) -> web.Response:
        return self.error(401, "BDC-401", message, None)

    def maintenance(self, until: datetime) -> web.Response:
        return web.json_response({"status": "maintenance", "until": until.isoformat()}, status=503)

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("page"), 1), _int(params.get("page_size"), 20)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        more = page * size < len(rows.items)
        nxt = f"?page={page + 1}&page_size={size}" if more else None
        return {
            "count": len(rows.items),
            "next": nxt,
            "results": rows.items[(page - 1) * size : page * size],
        }


def _none() -> Any:
    raise Refusal("BDC-404", "未查询到不动产登记信息", 404)
