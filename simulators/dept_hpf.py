"""The simulated 住房公积金管理中心 (housing provident fund centre) open API: OAuth2 client
credentials (``POST /oauth/token``), then ``GET`` calls with ``Authorization: Bearer``; answers
``{"ret": "0", "msg", "data"}``; a refusal is HTTP 4xx ``{"ret": "GJJ404"|"GJJ409"|"GJJ400",
"msg"}``; an unknown or expired token 401 ``GJJ401``; maintenance 503 ``{"ret": "GJJ503",
"msg", "resume_at"}``. Lists page with ``page``/``size`` → ``{"list", "total"}``.

``/gjj/api/v2/deposits?zjhm=&xingming=`` 公积金缴存明细 (monthly deposits),
``/gjj/api/v2/proofs/remote-loan?zjhm=&xingming=`` 异地贷款职工住房公积金缴存使用证明 (a
record: the account, its deposits and whether a provident-fund loan is open).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from simulators.dept_common import AuthMode, DeptSimulator, Handler, Refusal, Rows, citizen
from simulators.dept_people import WANG_XIAOMING, ZHANG_JIANHUA, months

BEIJING = timezone(timedelta(hours=8))
_CODES = ("GJJ404", "GJJ409")
_GENERIC = {"BAD_PAGE": "GJJ400", "MISSING_PARAM": "GJJ400", "BAD_REQUEST": "GJJ400"}
#: account number, employer, opened (YYYYMM), last paid month, monthly deposit, balance, state
ACCOUNTS = {
    WANG_XIAOMING.id_number: (
        "632801001234567",
        "格尔木市城市建设投资有限公司",
        "201007",
        "202611",
        1248.00,
        86512.40,
        "正常",
    ),
    ZHANG_JIANHUA.id_number: (
        "632801000765432",
        "格尔木市第二中学",
        "200109",
        "202603",
        1464.00,
        120344.15,
        "封存",
    ),
}


@dataclass
class HpfDepartment(DeptSimulator):
    code: str = "hpf"
    auth: AuthMode = "token"

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/gjj/api/v2/deposits"): self._deposits,
            ("GET", "/gjj/api/v2/proofs/remote-loan"): self._remote_loan,
        }

    def _account(self, params: dict[str, str]) -> tuple[Any, ...]:
        person = citizen(params, "zjhm", "xingming", _CODES)
        account = ACCOUNTS.get(person.id_number)
        if account is None:
            raise Refusal("GJJ404", "未查询到公积金账户", 404)
        return account

    def _deposits(self, params: dict[str, str]) -> Rows:
        number, employer, first, last, monthly, _balance, _state = self._account(params)
        rows = [
            {"jcny": m, "dwmc": employer, "jcje": f"{monthly:.2f}", "zt": "已入账"}
            for m in months(first, last)
        ]
        return Rows(rows, {"grzh": number})

    def _remote_loan(self, params: dict[str, str]) -> dict[str, Any]:
        number, employer, first, last, monthly, balance, state = self._account(params)
        paid = len(months(first, last))
        return {
            "zmbh": "GJJYD" + number[-6:] + last,
            "xingming": params["xingming"],
            "zjhm": params["zjhm"].upper(),
            "grzh": number,
            "dwmc": employer,
            "khrq": f"{first[:4]}-{first[4:]}",
            "jczt": state,
            "yjce": f"{monthly:.2f}",
            "zhye": f"{balance:.2f}",
            "ljjcys": str(paid),
            "jzny": f"{last[:4]}-{last[4:]}",
            "dkqk": "无住房公积金贷款记录",
            "kjsj": datetime.now(BEIJING).strftime("%Y-%m-%d"),
        }

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"ret": "0", "msg": "success", "data": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        return web.json_response({"ret": _GENERIC.get(code, code), "msg": message}, status=status)

    def auth_refused(self, message: str) -> web.Response:
        return self.error(401, "GJJ401", message, None)

    def maintenance(self, until: datetime) -> web.Response:
        body = {"ret": "GJJ503", "msg": "系统维护中", "resume_at": until.isoformat()}
        return web.json_response(body, status=503)
