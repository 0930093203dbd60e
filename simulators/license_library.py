"""The simulated upper-level 电子证照库 (electronic licence library): the province's register
of every licence and certificate issued to a citizen. Calls are ``POST`` JSON signed with
``X-Dzzz-App-Id``/``X-Dzzz-Timestamp``/``X-Dzzz-Nonce``/``X-Dzzz-Signature`` (hex
HMAC-SHA256, as the departments sign); answers ``{"success": true, "code": "200", "data"}``;
a refusal ``{"success": false, "code": "DZ4xx", "message"}``; a bad signature 401 ``DZ401``;
maintenance 503 ``{"success": false, "code": "DZ503", "recoverTime"}``.

``/dzzz/api/v1/licenses/issue`` reports one issued certificate (``licenseNumber`` is its
identity: the same number again answers the same ``licenseId`` and changes nothing);
``/dzzz/api/v1/licenses/query`` lists a holder's licences (``pageNo``/``pageSize`` →
``{"rows", "total"}``), the seeded ones and every certificate reported since start.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from simulators.dept_common import (
    AuthMode,
    DeptSimulator,
    Handler,
    Refusal,
    Rows,
    _int,
    need,
    table,
)
from simulators.dept_people import MA_XIULAN, PEOPLE, WANG_XIAOMING, ZHANG_JIANHUA

_KEYS = ("licenseType", "licenseName", "licenseNumber", "issuer", "issueDate", "status")
SEEDED = {
    WANG_XIAOMING.id_number: table(
        _KEYS,
        ("ID_CARD", "居民身份证", "632801198805120137", "格尔木市公安局", "2016-05-20", "有效"),
        ("DRIVER", "机动车驾驶证", "632801198805120137", "青海省交警总队", "2012-08-01", "有效"),
        ("MARRIAGE", "结婚证", "J632801-2015-000318", "格尔木市民政局", "2015-10-02", "有效"),
        (
            "BDC_CERT",
            "不动产权证书",
            "青（2019）格尔木市不动产权第0012345号",
            "格尔木市不动产登记中心",
            "2019-06-12",
            "有效",
        ),
    ),
    MA_XIULAN.id_number: table(
        _KEYS,
        ("ID_CARD", "居民身份证", "632801196511030241", "格尔木市公安局", "2010-11-03", "有效"),
        ("RETIRE", "退休证", "TX2020120031", "格尔木市人力资源和社会保障局", "2020-12-01", "有效"),
    ),
    ZHANG_JIANHUA.id_number: table(
        _KEYS,
        ("ID_CARD", "居民身份证", "632801197809211015", "格尔木市公安局", "2019-03-11", "有效"),
    ),
}
_ISSUE_FIELDS = ("licenseType", "licenseName", "licenseNumber", "holderName", "holderId")


@dataclass
class LicenseLibrarySim(DeptSimulator):
    code: str = "license_library"
    auth: AuthMode = "hmac"
    header_prefix: str = "X-Dzzz-"
    #: licenseNumber → the record reported (with its licenseId and holder)
    reported: dict[str, dict[str, Any]] = field(default_factory=dict)

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("POST", "/dzzz/api/v1/licenses/issue"): self._issue,
            ("POST", "/dzzz/api/v1/licenses/query"): self._query,
        }

    def _issue(self, params: dict[str, str]) -> dict[str, Any]:
        kind, name, number, holder, holder_id = need(params, *_ISSUE_FIELDS)
        known = self.reported.get(number)
        if known is not None:
            if known["holderId"] != holder_id.upper():
                raise Refusal("DZ409", "证照编号已被其他持证人使用", 409)
            return {"licenseId": known["licenseId"], "licenseNumber": number}
        person = PEOPLE.get(holder_id.upper())
        if person is None or person.name != holder:
            raise Refusal("DZ404", "持证人身份信息不存在或不一致", 404)
        record = {
            "licenseId": "DZ" + secrets.token_hex(8).upper(),
            "licenseType": kind,
            "licenseName": name,
            "licenseNumber": number,
            "holderId": holder_id.upper(),
            "issuer": params.get("issuer", ""),
            "issueDate": params.get("issueDate", ""),
            "fileSha256": params.get("fileSha256", ""),
            "status": "有效",
        }
        self.reported[number] = record
        return {"licenseId": record["licenseId"], "licenseNumber": number}

    def _query(self, params: dict[str, str]) -> Rows:
        holder_id, holder = need(params, "holderId", "holderName")
        person = PEOPLE.get(holder_id.upper())
        if person is None or person.name != holder:
            raise Refusal("DZ404", "持证人身份信息不存在或不一致", 404)
        mine = [
            {k: r[k] for k in _KEYS}
            for r in self.reported.values()
            if r["holderId"] == person.id_number
        ]
        return Rows(list(SEEDED.get(person.id_number, [])) + mine[::-1])

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"success": True, "code": "200", "data": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        code = "DZ400" if code in ("BAD_PAGE", "MISSING_PARAM", "BAD_REQUEST") else code
        body = {"success": False, "code": code, "message": message}
        return web.json_response(body, status=status)

    def auth_refused(self, message: str) -> web.Response:
        return self.error(401, "DZ401", message, None)

    def maintenance(self, until: datetime) -> web.Response:
        body = {"success": False, "code": "DZ503", "recoverTime": until.isoformat()}
        return web.json_response(body, status=503)

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("pageNo"), 1), _int(params.get("pageSize"), 20)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        return {"rows": rows.items[(page - 1) * size : page * size], "total": len(rows.items)}
