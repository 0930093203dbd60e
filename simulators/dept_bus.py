"""The simulated 公交集团 (city bus company) open API: ``GET`` calls signed with
``X-Bus-App-Id``/``X-Bus-Timestamp``/``X-Bus-Nonce``/``X-Bus-Signature`` (base64
HMAC-SHA256), answers HTTP 200 ``{"ret": 0, "msg", "data"}`` also for refusals (``ret`` 2001
no such card, 2002 card reported lost, 1001 bad parameters); a bad signature is 401 ``ret``
401; maintenance is 503 ``ret`` 503 with only a ``Retry-After`` header (seconds). Lists page
from zero: ``pageIndex``/``pageSize`` → ``{"rows", "totalCount", "pageIndex"}``.

``/openapi/card/trades?cardNo=`` 公交卡余额及消费记录 (``balance`` beside the rows),
``/openapi/lines?keyword=`` 公交线路.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

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
from simulators.dept_people import rng

_GENERIC = {"BAD_PAGE": "1001", "MISSING_PARAM": "1001", "BAD_REQUEST": "1001"}
#: card number → (balance, lost?)
CARDS = {"31000012345678": ("23.50", False), "31000087654321": ("0.00", True)}
_STOPS = [
    "火车站",
    "昆仑广场",
    "八一中路",
    "市人民医院",
    "盐湖路口",
    "河西市场",
    "金峰路",
    "格尔木机场",
    "客运站",
    "柴达木路口",
]
LINES = table(
    ("xlmc", "qdz", "zdz", "sbsj", "mbsj", "pj"),
    ("1路", "火车站", "河西市场", "06:50", "21:00", "1元"),
    ("2路", "客运站", "金峰路", "07:00", "20:30", "1元"),
    ("5路", "昆仑广场", "格尔木机场", "07:30", "19:30", "2元"),
    ("8路", "柴达木路口", "盐湖路口", "07:00", "20:00", "1元"),
    ("12路", "火车站", "市人民医院", "06:40", "21:30", "1元"),
    ("K1路", "客运站", "格尔木机场", "06:30", "22:00", "5元"),
)


def _trades(card: str) -> list[dict[str, Any]]:
    r, balance, rows = rng("bus", card), 23.50, []
    for i in range(37):
        day = 30 - i * 30 // 37
        amount = 2.0 if r.random() < 0.2 else 1.0
        rows.append(
            {
                "jysj": f"2026-11-{day:02d} {7 + r.randint(0, 12):02d}:{r.randint(0, 59):02d}",
                "jylx": "乘车",
                "xl": r.choice(LINES)["xlmc"],
                "jyje": f"-{amount:.2f}",
                "jyhye": f"{balance:.2f}",
            }
        )
        balance += amount
    return rows


@dataclass
class BusDepartment(DeptSimulator):
    code: str = "bus"
    auth: AuthMode = "hmac"
    header_prefix: str = "X-Bus-"
    digest: Literal["hex", "base64"] = "base64"

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/openapi/card/trades"): self._trades,
            ("GET", "/openapi/lines"): self._lines,
        }

    def _trades(self, params: dict[str, str]) -> Rows:
        (card,) = need(params, "cardNo")
        if card not in CARDS:
            raise Refusal("2001", "卡号不存在")
        balance, lost = CARDS[card]
        if lost:
            raise Refusal("2002", "该卡已挂失")
        return Rows(_trades(card), {"balance": balance, "cardStatus": "正常"})

    def _lines(self, params: dict[str, str]) -> Rows:
        keyword = params.get("keyword", "")
        found = [
            dict(line, tjzd="、".join(_STOPS[:6]))
            for line in LINES
            if keyword in line["xlmc"] + line["qdz"] + line["zdz"]
        ]
        return Rows(found)

    # --- the style -------------------------------------------------------------------------
    def ok(self, payload: Any) -> web.Response:
        return web.json_response({"ret": 0, "msg": "ok", "data": payload})

    def error(self, status: int, code: str, message: str, until: datetime | None) -> web.Response:
        return web.json_response(
            {"ret": int(_GENERIC.get(code, code)), "msg": message, "data": None}
        )

    def auth_refused(self, message: str) -> web.Response:
        return web.json_response({"ret": 401, "msg": message, "data": None}, status=401)

    def maintenance(self, until: datetime) -> web.Response:
        wait = max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))
        body = {"ret": 503, "msg": "system maintenance", "data": None}
        return web.json_response(body, status=503, headers={"Retry-After": str(wait)})

    def page_args(self, params: dict[str, str]) -> tuple[int, int]:
        return _int(params.get("pageIndex"), 0) + 1, _int(params.get("pageSize"), 10)

    def paged(self, rows: Rows, page: int, size: int) -> Any:
        chunk = rows.items[(page - 1) * size : page * size]
        return {"rows": chunk, "totalCount": len(rows.items), "pageIndex": page - 1, **rows.extra}
