"""生活缴费 on the kiosk (``/kiosk/api/pay/...``), relayed to the cloud with the device's
credentials (docs/kiosk-payments.md).

The account the citizen typed and the bill it answered stay in the agent's session (``pay.bill``);
the order is made from them, with a request id kept per bill and channel so a retry (a double
tap, a lost answer) is the same order, never a second one. The QR code is drawn here from the
order's QR content. The session's clear (idle, 退出) forgets all of it.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from edge_agent.kiosk.guide_views import qr_svg
from edge_agent.kiosk.parts import KioskParts
from edge_agent.kiosk.relay import NO_STORE, error, relay

BILL_KEY = "pay.bill"
ORDER_KEY = "pay.order"
REQUESTS_KEY = "pay.requests"
_UTILITY = re.compile(r"^(water|power|gas|landline)$")
_ACCOUNT = re.compile(r"^[A-Za-z0-9]{6,20}$")
_ORDER = re.compile(r"^[0-9a-f]{32}$")
_CHANNEL = re.compile(r"^[a-z]{2,16}$")
_NO_BILL = ("请先查询账单。", "Please look up the bill first.")
_NO_ORDER = ("没有找到该订单。", "There is no such order.")
_BAD_ACCOUNT = (
    "户号应为 6 至 20 位字母或数字，请核对后重新输入。",
    "An account number has 6 to 20 letters or digits. Check it and type it again.",
)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _loaded(r: Response) -> dict[str, Any]:
    out = json.loads(bytes(r.body))
    return out if isinstance(out, dict) else {}


class _Pay:
    """The routes' handlers, over the agent's parts and the kiosk session."""

    def __init__(self, parts: KioskParts) -> None:
        self.parts = parts
        self.session = parts.session

    async def options(self, request: Request) -> Response:
        return await relay(self.parts, "GET", "/api/v1/kiosk/pay/options")

    async def bill(self, request: Request) -> Response:
        utility = request.path_params["utility"]
        account = str((await _body(request)).get("account", "")).strip()
        held = self.session.get(BILL_KEY)
        if not account and isinstance(held, dict) and held["utility"] == utility:
            account = held["account"]  # 查看新账单: the same account asked again
        if not _UTILITY.match(utility):
            return error(404, "unknown_utility", "没有这项缴费。", "There is no such bill.")
        if not _ACCOUNT.match(account):
            return error(422, "account_invalid", *_BAD_ACCOUNT)
        path = f"/api/v1/kiosk/pay/bills/{utility}"
        r = await relay(self.parts, "POST", path, json={"account": account})
        self.session.pop(BILL_KEY)
        if r.status_code == 200:
            found = _loaded(r)
            bill = {
                "utility": utility,
                "account": account,
                "bill_no": found["bill_no"],
                "amount_fen": found["amount_fen"],
            }
            self.session.put(BILL_KEY, bill)
        return r

    async def order(self, request: Request) -> Response:
        held = self.session.get(BILL_KEY)
        channel = str((await _body(request)).get("channel", ""))
        if not isinstance(held, dict):
            return error(409, "no_bill", *_NO_BILL)
        if not _CHANNEL.match(channel):
            return error(422, "channel_invalid", "请选择支付方式。", "Please choose how to pay.")
        requests: dict[str, str] = self.session.get(REQUESTS_KEY) or {}
        key = f"{held['utility']}:{held['bill_no']}:{held['amount_fen']}:{channel}"
        request_id = requests.setdefault(key, "k" + secrets.token_hex(12))
        self.session.put(REQUESTS_KEY, requests)
        body = {**held, "request_id": request_id, "channel": channel}
        r = await relay(self.parts, "POST", "/api/v1/kiosk/pay/orders", json=body)
        if r.status_code == 201:
            made = _loaded(r)
            self.session.put(ORDER_KEY, {"id": made["id"], "qr": made["qr_content"]})
        return r

    async def order_call(self, request: Request) -> Response:
        order_id = request.path_params["order_id"]
        if not _ORDER.match(order_id):
            return error(404, "order_not_found", *_NO_ORDER)
        path = f"/api/v1/kiosk/pay/orders/{order_id}"
        if request.method == "GET":
            return await relay(self.parts, "GET", path)
        if request.url.path.endswith("/cancel"):
            self.session.pop(REQUESTS_KEY)  # choosing again after 取消 is a new order
            return await relay(self.parts, "POST", path + "/cancel")
        return await relay(self.parts, "POST", path + "/receipt")

    async def qr(self, request: Request) -> Response:
        held = self.session.get(ORDER_KEY)
        if not isinstance(held, dict) or held.get("id") != request.path_params["order_id"]:
            return error(404, "order_not_found", *_NO_ORDER)
        if not held.get("qr"):
            return error(409, "no_qr", "该订单没有付款码。", "This order has no payment code.")
        return Response(qr_svg(str(held["qr"])), media_type="image/svg+xml", headers=NO_STORE)


def routes(parts: KioskParts) -> list[BaseRoute]:
    api, prefix = _Pay(parts), "/kiosk/api/pay"
    return [
        Route(f"{prefix}/options", api.options, methods=["GET"]),
        Route(f"{prefix}/bills/{{utility}}", api.bill, methods=["POST"]),
        Route(f"{prefix}/orders", api.order, methods=["POST"]),
        Route(f"{prefix}/orders/{{order_id}}", api.order_call, methods=["GET"]),
        Route(f"{prefix}/orders/{{order_id}}/cancel", api.order_call, methods=["POST"]),
        Route(f"{prefix}/orders/{{order_id}}/receipt", api.order_call, methods=["POST"]),
        Route(f"{prefix}/orders/{{order_id}}/qr.svg", api.qr, methods=["GET"]),
    ]
