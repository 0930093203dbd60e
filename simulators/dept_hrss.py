"""The simulated 人社厅 (human resources and social security) API, in the style of an API
gateway: every call is ``POST`` with a JSON body using the national social-insurance field
codes (``aac002`` ID number, ``aac003`` name, ``pageNo``/``pageSize``), signed with
``X-Ca-App-Id``/``X-Ca-Timestamp``/``X-Ca-Nonce``/``X-Ca-Signature`` (base64 HMAC-SHA256).
Answers ``{"resultCode": "0000", "resultMsg", "result"}``; refusals are HTTP 400/404 with
``resultCode`` E1001 (no insured person), E1002 (name mismatch), E2004 (no such record),
E0001 (bad parameters); a bad signature is 401 ``E0401``; maintenance is 503 ``9999`` with
``maintainEnd`` (ISO 8601 with offset). Lists are ``{"records", "totalCount", "pageNo",
"pageSize"}``.

``/rs/api/si/payments`` 社保缴费记录, ``/rs/api/pension/issues`` 养老金发放,
``/rs/api/cert/qualifications`` 职业资格证书, ``/rs/api/ui/benefits`` 失业保险金; the
certificates and the social security card's loss (``simulators.dept_hrss_certs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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
from simulators.dept_hrss_certs import CardDesk, pension_voucher, startup_cert
from simulators.dept_people import MA_XIULAN, WANG_XIAOMING, ZHANG_JIANHUA, months, rng

_CODES = ("E1001", "E1002")
_GENERIC = {"BAD_PAGE": "E0001", "MISSING_PARAM": "E0001", "BAD_REQUEST": "E0001"}
#: who has paid into which scheme from when to when (YYYYMM), with the employer
CONTRIBUTIONS = {
    WANG_XIAOMING.id_number: ("201007", "202611", "格尔木市城市建设投资有限公司", 5200),
    ZHANG_JIANHUA.id_number: ("200109", "202603", "格尔木市第二中学", 6100),
    MA_XIULAN.id_number: ("199001", "202011", "格尔木市纺织厂", 2600),
}
PENSIONS = {MA_XIULAN.id_number: ("202012", "202611", 3215.60)}
QUALIFICATIONS = {
    WANG_XIAOMING.id_number: table(
        ("zsbh", "zsmc", "dj", "fzrq", "fzjg"),
        (
            "S000063280105123456",
            "建筑施工企业项目负责人",
            "—",
            "2018-04-20",
            "青海省住房和城乡建设厅",
        ),
        ("1863000000300123", "电工", "四级/中级工", "2012-11-05", "青海省职业技能鉴定指导中心"),
    ),
    MA_XIULAN.id_number: table(
        ("zsbh", "zsmc", "dj", "fzrq", "fzjg"),
        ("0863000000500321", "育婴员", "五级/初级工", "2021-06-18", "格尔木市人力资源和社会保障局"),
    ),
}
UNEMPLOYMENT = {ZHANG_JIANHUA.id_number: ("202604", "202611", 1674.00)}


@dataclass
class HrssDepartment(DeptSimulator):
    code: str = "hrss"
    auth: AuthMode = "hmac"
    header_prefix: str = "X-Ca-"
    digest: Literal["hex", "base64"] = "base64"
    cards: CardDesk = field(default_factory=CardDesk)

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("POST", "/rs/api/si/payments"): self._payments,
            ("POST", "/rs/api/pension/issues"): self._pension,
            ("POST", "/rs/api/cert/qualifications"): self._qualifications,
            ("POST", "/rs/api/ui/benefits"): self._unemployment,
            ("POST", "/rs/api/cert/pension-voucher"): self._pension_voucher,
            ("POST", "/rs/api/cert/jycyz"): startup_cert,
            ("POST", "/rs/api/card/status"): self.cards.status,
            ("POST", "/rs/api/card/loss"): lambda p: self.cards.change(p, "lost"),
            ("POST", "/rs/api/card/unloss"): lambda p: self.cards.change(p, "normal"),
        }

    def _pension_voucher(self, params: dict[str, str]) -> Any:
        records = self._payments(params).items
        return pension_voucher(records, params["aac003"], params["aac002"].upper())

    def _payments(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "aac002", "aac003", _CODES)
        first, last, employer, base = CONTRIBUTIONS.get(person.id_number) or _none()
        r = rng("hrss", person.id_number)
        rows = []
        for month in months(first, last):
            grown = round(base * (1 + (int(month[:4]) - 2026) * 0.05) + r.randint(0, 9) * 10, 2)
            rows.append(
                {
                    "aae002": month,
                    "aae140": "110",
                    "aae140_name": "企业职工基本养老保险",
                    "aab004": employer,
                    "aae180": f"{grown:.2f}",
                    "aae022": f"{grown * 0.08:.2f}",
                    "aae078": "1",
                    "aae078_name": "已到账",
                }
            )
        return Rows(rows)

    def _pension(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "aac002", "aac003", _CODES)
        first, last, amount = PENSIONS.get(person.id_number) or _none()
        rows = [
            {
                "aae002": m,
                "aae019": f"{amount + (int(m[:4]) - 2020) * 96.5:.2f}",
                "aae010": "6228480319xxxxxxx1234",
                "aae009": "中国农业银行格尔木分行",
                "ffzt": "已发放",
            }
            for m in months(first, last)
        ]
        return Rows(rows)

    def _qualifications(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "aac002", "aac003", _CODES)
        return Rows(QUALIFICATIONS.get(person.id_number) or _none())

    def _unemployment(self, params: dict[str, str]) -> Rows:
        person = citizen(params, "aac002", "aac003", _CODES)
        first, last, amount = UNEMPLOYMENT.get(person.id_number) or _none()
        rows = [
            {"ffny": m, "ffje": f"{amount:.2f}", "lqqs": str(i + 1), "ffzt": "已发放"}
            for i, m in enumerate(reversed(months(first, last)))
        ]
        return Rows(rows[::-1], {"zlqys": "12", "sylqys": str(12 - len(rows))})

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"resultCode": "0000", "resultMsg": "成功", "result": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        body = {"resultCode": _GENERIC.get(code, code), "resultMsg": message, "result": None}
        return web.json_response(body, status=status)

    def auth_refused(self, message: str) -> web.Response:
        return self.error(401, "E0401", message, None)

    def maintenance(self, until: datetime) -> web.Response:
        body = {
            "resultCode": "9999",
            "resultMsg": "系统升级维护中",
            "maintainEnd": until.isoformat(),
        }
        return web.json_response(body, status=503)

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("pageNo"), 1), _int(params.get("pageSize"), 10)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        chunk = rows.items[(page - 1) * size : page * size]
        return {
            "records": chunk,
            "totalCount": len(rows.items),
            "pageNo": page,
            "pageSize": size,
            **rows.extra,
        }


def _none() -> Any:
    raise Refusal("E2004", "未查询到相关记录", 404)
