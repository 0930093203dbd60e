"""公交集团 (city bus company): 公交卡余额及消费记录 (by card number), 公交线路查询. ``GET`` calls
signed with ``X-Bus-*`` headers (base64 HMAC-SHA256); answers HTTP 200 ``{"ret": 0, "msg",
"data"}`` (refusals too); maintenance only says ``Retry-After``; lists page from zero
(``pageIndex``) (docs/departments.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from cloud.kiosk.departments.base import QueryDecl, QueryInput, ResultField
from cloud.kiosk.departments.http_auth import HmacAuth
from cloud.kiosk.departments.http_common import Answer, HttpDepartment, Op, Page
from cloud.settings_kiosk import DepartmentEndpoint

F = ResultField
QUERIES = [
    QueryDecl(
        code="bus_card",
        name="公交卡余额及消费记录查询",
        name_en="Bus card balance and trips",
        department="bus",
        operation="card_trades",
        identity="public",
        layout="table",
        category="transport",
        printable=False,
        inputs=[
            QueryInput(
                name="card_no",
                label="公交卡号",
                label_en="Card number",
                kind="digits",
                pattern=r"^[0-9]{14}$",
            )
        ],
        fields=[
            F(key="time", label="交易时间", label_en="Time"),
            F(key="kind", label="交易类型", label_en="Kind"),
            F(key="line", label="线路", label_en="Line"),
            F(key="amount", label="金额（元）", label_en="Amount (yuan)"),
            F(key="balance", label="交易后余额（元）", label_en="Balance after (yuan)"),
        ],
    ),
    QueryDecl(
        code="bus_routes",
        name="公交线路查询",
        name_en="Bus routes",
        department="bus",
        operation="lines",
        identity="public",
        layout="table",
        category="transport",
        inputs=[
            QueryInput(
                name="keyword",
                label="线路或站名",
                label_en="Line or stop",
                kind="alnum",
                required=False,
            )
        ],
        fields=[
            F(key="line", label="线路", label_en="Line"),
            F(key="from_stop", label="起点站", label_en="From"),
            F(key="to_stop", label="终点站", label_en="To"),
            F(key="first_bus", label="首班", label_en="First bus"),
            F(key="last_bus", label="末班", label_en="Last bus"),
            F(key="fare", label="票价", label_en="Fare"),
            F(key="stops", label="途经站点", label_en="Stops"),
        ],
    ),
]
OPS = {
    "card_trades": Op(
        "GET",
        "/openapi/card/trades",
        lambda _p, i: {"cardNo": i.get("card_no", "")},
        {"time": "jysj", "kind": "jylx", "line": "xl", "amount": "jyje", "balance": "jyhye"},
    ),
    "lines": Op(
        "GET",
        "/openapi/lines",
        lambda _p, i: {"keyword": i.get("keyword", "")},
        {
            "line": "xlmc",
            "from_stop": "qdz",
            "to_stop": "zdz",
            "first_bus": "sbsj",
            "last_bus": "mbsj",
            "fare": "pj",
            "stops": "tjzd",
        },
    ),
}


REFUSALS = {
    "2001": (
        "未找到该公交卡，请核对卡背面的卡号。",
        "No such bus card. Please check the number on its back.",
    ),
    "2002": (
        "该卡已挂失，请到公交集团服务网点办理。",
        "This card was reported lost. Please go to a bus company service point.",
    ),
    "1001": (
        "查询信息有误，请核对后重试。",
        "Something entered is not valid. Please check it.",
    ),
}


class Bus(HttpDepartment):
    code = "bus"
    name = "公交集团"
    name_en = "the city bus company"
    ops = OPS
    refusals = REFUSALS

    def request(
        self, op: Op, args: dict[str, str], page: int, size: int
    ) -> tuple[dict[str, str], Any]:
        return {**args, "pageIndex": str(page - 1), "pageSize": str(size)}, None

    def parse(self, response: httpx.Response) -> Answer:
        if response.status_code == 503:
            wait = response.headers.get("Retry-After", "")
            until = datetime.now(UTC) + timedelta(seconds=int(wait)) if wait.isdigit() else None
            return Answer("maintenance", message="HTTP 503", until=until)
        body = response.json()
        code, msg = int(body["ret"]), str(body.get("msg", ""))
        if response.status_code == 401 or code == 401:
            return Answer("auth", code=str(code), message=msg)
        if code != 0:
            return Answer("refused", code=str(code), message=msg)
        return Answer("ok", body["data"])

    def page(self, payload: Any, size: int) -> Page:
        total = int(payload["totalCount"])
        extra = {"balance": str(payload["balance"])} if "balance" in payload else {}
        return Page(list(payload["rows"]), total, -(-total // size), extra)

    def notes(self, found: Page) -> list[str]:
        balance = found.extra.get("balance")
        return [f"卡内余额 {balance} 元 / Balance {balance} yuan"] if balance is not None else []


def build(endpoint: DepartmentEndpoint) -> Bus:
    return Bus(endpoint, HmacAuth(endpoint, "X-Bus-", "base64"))
