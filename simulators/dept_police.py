"""The simulated 公安厅 (provincial public security department) API: ``GET`` calls signed with
``X-App-Id``/``X-Timestamp``/``X-Nonce``/``X-Signature`` (hex HMAC-SHA256), answers
``{"success": true, "data", "errorCode": null, "errorMsg": null}``; a refusal is HTTP 4xx with
``success: false`` and ``errorCode`` P404 (no record), P409 (name mismatch), P422 (plate and
engine number do not match), P400 (bad parameters); a bad signature is 401 ``AUTH_FAILED``;
maintenance is 503 ``MAINTENANCE`` with ``data.until`` (ISO 8601) and ``Retry-After``. Lists
page by ``offset``/``limit`` → ``{"items", "total", "offset", "limit"}``.

``/gaj/v2/hukou?idNo=&name=`` 户籍信息, ``/gaj/v2/idcard/progress`` 身份证办理进度,
``/gaj/v2/traffic/violations?plate=&engineTail=`` 机动车违章, ``/gaj/v2/exit-entry/progress``
出入境证件办理进度.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
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
    need,
    table,
)
from simulators.dept_people import (
    CAIRANG,
    LI_GUIYING,
    MA_LI,
    MA_XIULAN,
    WANG_XIAOMING,
    ZHANG_JIANHUA,
)

_CODES = ("P404", "P409")
_GENERIC = {"BAD_PAGE": "P400", "MISSING_PARAM": "P400", "BAD_REQUEST": "P400"}
HOUSEHOLDS = {
    WANG_XIAOMING.id_number: ("户主", "家庭户", "黄河路派出所"),
    MA_XIULAN.id_number: ("户主", "家庭户", "八一路派出所"),
    CAIRANG.id_number: ("子", "家庭户", "唐古拉山镇派出所"),
    LI_GUIYING.id_number: ("户主", "家庭户", "黄河路派出所"),
    ZHANG_JIANHUA.id_number: ("户主", "家庭户", "河西派出所"),
    MA_LI.id_number: ("妻", "家庭户", "昆仑路派出所"),
}
_STEP = ("time", "node", "detail")
ID_PROGRESS = {
    WANG_XIAOMING.id_number: table(
        _STEP,
        ("2026-11-20 09:12", "受理", "黄河路派出所受理换领申请（有效期满换领）"),
        ("2026-11-21 15:40", "审核", "格尔木市公安局审核通过"),
        ("2026-11-26 10:05", "制证", "省公安厅制证中心制证完成"),
        ("2026-11-30 16:30", "待领取", "证件已到黄河路派出所，请携带回执领取"),
    ),
}
EXIT_ENTRY = {
    MA_LI.id_number: table(
        ("time", "node", "detail", "doc"),
        ("2026-11-28 10:20", "受理", "格尔木市出入境接待大厅受理", "普通护照"),
        ("2026-11-29 09:00", "审批", "审批中", "普通护照"),
    ),
}
PLATES = {("青HA1234", "305127"): WANG_XIAOMING.id_number, ("青H6K521", "911842"): MA_LI.id_number}
VIOLATIONS = {
    "青HA1234": table(
        ("wfsj", "wfdd", "wfxw", "fkje", "wfjfs", "clbj"),
        (
            "2026-10-03 08:41",
            "昆仑中路与柴达木路交叉口",
            "机动车违反禁止标线指示",
            "200",
            "3",
            "未处理",
        ),
        (
            "2026-08-15 18:02",
            "格尔木市察尔汗盐湖路段",
            "超过规定时速10%以上未达20%",
            "200",
            "3",
            "已处理",
        ),
        ("2026-03-22 12:30", "八一中路", "机动车违反规定停放", "150", "0", "已处理"),
    ),
}


@dataclass
class PoliceDepartment(DeptSimulator):
    code: str = "police"
    auth: AuthMode = "hmac"

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/gaj/v2/hukou"): self._hukou,
            ("GET", "/gaj/v2/idcard/progress"): self._id_progress,
            ("GET", "/gaj/v2/traffic/violations"): self._violations,
            ("GET", "/gaj/v2/exit-entry/progress"): self._exit_entry,
        }

    def _hukou(self, params: dict[str, str]) -> dict[str, Any]:
        person = citizen(params, "idNo", "name", _CODES)
        relation, kind, station = HOUSEHOLDS[person.id_number]
        return {
            "xm": person.name,
            "xb": person.sex,
            "csrq": person.birth,
            "hjdz": person.address,
            "yhzgx": relation,
            "hlx": kind,
            "sspcs": station,
            "updated": "2026-12-01",
        }

    def _id_progress(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "idNo", "name", _CODES)
        return Rows(ID_PROGRESS.get(person.id_number) or _none())

    def _exit_entry(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "idNo", "name", _CODES)
        return Rows(EXIT_ENTRY.get(person.id_number) or _none())

    def _violations(self, params: dict[str, str]) -> Rows:
        plate, tail = need(params, "plate", "engineTail")
        if (plate, tail) not in PLATES:
            raise Refusal("P422", "号牌号码与发动机号后六位不匹配", 422)
        return Rows(VIOLATIONS.get(plate, []))

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response(
            {"success": True, "data": payload, "errorCode": None, "errorMsg": None}
        )

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        body = {
            "success": False,
            "data": None,
            "errorCode": _GENERIC.get(code, code),
            "errorMsg": message,
        }
        return web.json_response(body, status=status)

    def auth_refused(self, message: str) -> web.Response:
        return self.error(401, "AUTH_FAILED", message, None)

    def maintenance(self, until: datetime) -> web.Response:
        body = {
            "success": False,
            "data": {"until": until.isoformat()},
            "errorCode": "MAINTENANCE",
            "errorMsg": "系统维护",
        }
        wait = max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))
        return web.json_response(body, status=503, headers={"Retry-After": str(wait)})

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        offset, limit = _int(params.get("offset"), 0), _int(params.get("limit"), 20)
        if offset < 0 or limit < 1 or offset % limit:
            return -1, limit
        return offset // limit + 1, limit

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        offset = (page - 1) * size
        return {
            "items": rows.items[offset : offset + size],
            "total": len(rows.items),
            "offset": offset,
            "limit": size,
        }


def _none() -> Any:
    raise Refusal("P404", "未查询到办理记录", 404)
