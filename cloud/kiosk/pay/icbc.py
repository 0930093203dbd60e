"""The ICBC channel: 工行 API开放平台, 二维码支付 V2 (docs/pay-banks.md "ICBC").

Each request is a form POST of the public parameters and ``biz_content`` (JSON), signed RSA2
over the path and the sorted parameters with our key (``protocols.bank_sign``); each answer's
``response_biz_content`` is verified (RSA, the gateway's key) before it is believed. Amounts
go over the wire in fen (``order_amt``). Only the API, the trade number and the gateway's code
are logged.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlparse

import httpx

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.pay.channel import (
    ChannelError,
    ChannelName,
    ChannelOrder,
    ForgedNotification,
    Notification,
    Precreated,
    Refunded,
    StatementLine,
    TradeState,
    TradeStatus,
)
from cloud.settings import Settings
from protocols.bank_sign import (
    icbc_sign_reply,
    icbc_sign_request,
    icbc_sign_string,
    icbc_verify_gateway,
)

log = logging.getLogger(__name__)
API = "/api/qrcode/V2/"
NOTIFY_PATH = "/api/v1/pay/notify/icbc"
#: pay_status: 0 paid, 1 failed, 2 waiting, 3 reversed (closed), 4 refunded
_STATES: dict[str, TradeState] = {
    "0": "paid",
    "1": "closed",
    "2": "waiting",
    "3": "closed",
    "4": "refunded",
}


def parse_icbc_time(text: str) -> datetime | None:
    if not text:
        return None
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=HALL_TZ)


def response_biz_text(body: str) -> str:
    """The exact text of ``response_biz_content`` (what the gateway signed), as ICBC's SDK
    cuts it out of the answer."""
    root = '"response_biz_content":'
    start, end = body.find(root), body.rfind(',"sign":"')
    if start < 0 or end < start:
        raise ValueError("no response_biz_content")
    return body[start + len(root) : end]


class IcbcChannel:
    """:class:`cloud.kiosk.pay.channel.PaymentChannel` over ICBC's open platform."""

    def __init__(
        self,
        gateway_url: str,
        app_id: str,
        mer_id: str,
        private_pem: str,
        gateway_public_pem: str,
        notify_path: str = NOTIFY_PATH,
        store_code: str = "",
        timeout_s: float = 5.0,
    ) -> None:
        self._url = gateway_url.rstrip("/")
        self._app_id, self._mer_id, self._store = app_id, mer_id, store_code
        self._private, self._gateway_key = private_pem, gateway_public_pem
        self._notify_path = notify_path
        self._http = httpx.AsyncClient(timeout=timeout_s)

    @property
    def name(self) -> ChannelName:
        return "icbc"

    async def _call(self, api: str, biz: dict[str, Any]) -> dict[str, Any]:
        path = API + api
        params = {
            "app_id": self._app_id,
            "msg_id": secrets.token_hex(16),
            "format": "json",
            "charset": "UTF-8",
            "sign_type": "RSA2",
            "timestamp": datetime.now(HALL_TZ).strftime("%Y-%m-%d %H:%M:%S"),
            "biz_content": json.dumps({"mer_id": self._mer_id, **biz}, ensure_ascii=False),
        }
        params["sign"] = icbc_sign_request(self._private, path, params)
        try:
            answer = await self._http.post(self._url + path, data=params)
        except httpx.TimeoutException as exc:
            raise ChannelError("icbc", f"{api}: no answer in time") from exc
        except httpx.HTTPError as exc:
            raise ChannelError("icbc", f"{api}: {type(exc).__name__}") from exc
        return self._believed(api, answer)

    def _believed(self, api: str, answer: httpx.Response) -> dict[str, Any]:
        try:
            text = response_biz_text(answer.text)
            sign = json.loads(answer.text)["sign"]
            biz = json.loads(text)
        except (ValueError, KeyError, TypeError) as exc:
            raise ChannelError(
                "icbc", f"{api}: malformed answer (HTTP {answer.status_code})"
            ) from exc
        if not icbc_verify_gateway(self._gateway_key, text, str(sign)):
            raise ChannelError("icbc", f"{api}: the answer's signature does not verify")
        if not isinstance(biz, dict):
            raise ChannelError("icbc", f"{api}: malformed answer")
        code = biz.get("return_code")
        if code != 0:
            log.warning("icbc %s refused: %s", api, code)
            raise ChannelError("icbc", f"{api}: return_code {code} {biz.get('return_msg', '')}")
        return biz

    async def precreate(self, order: ChannelOrder) -> Precreated:
        now = datetime.now(HALL_TZ)
        biz = {
            "store_code": self._store,
            "out_trade_no": order.out_trade_no,
            "order_amt": str(order.amount_fen),
            "trade_date": now.strftime("%Y%m%d"),
            "trade_time": now.strftime("%H%M%S"),
            "attach": order.subject,
            "pay_expire": str(order.timeout_s),
            "notify_url": order.notify_url,
            "notify_flag": "1",
            "tporder_create_ip": "127.0.0.1",
        }
        got = await self._call("generate", biz)
        log.info("icbc trade %s opened", order.out_trade_no)
        return Precreated(qr_content=str(got["qrcode"]))

    async def query(self, out_trade_no: str) -> TradeStatus:
        got = await self._call("query", {"out_trade_no": out_trade_no})
        state = _STATES.get(str(got.get("pay_status")))
        if state is None:
            raise ChannelError("icbc", f"query: unknown pay_status {got.get('pay_status')!r}")
        return TradeStatus(
            out_trade_no,
            state,
            str(got.get("order_id", "")),
            int(str(got.get("total_amt", "0"))),
            parse_icbc_time(str(got.get("pay_time", ""))),
        )

    async def close(self, out_trade_no: str) -> None:
        await self._call("reverse", {"out_trade_no": out_trade_no})

    async def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, reason: str
    ) -> Refunded:
        biz = {"out_trade_no": out_trade_no, "reject_no": out_refund_no}
        got = await self._call("reject", {**biz, "reject_amt": str(amount_fen)})
        at = parse_icbc_time(str(got.get("reject_time", ""))) or datetime.now(HALL_TZ)
        return Refunded(out_refund_no, int(str(got["real_reject_amt"])), at)

    def verify_notify(
        self, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> Notification:
        """ICBC's form POST: RSA over our notify path and its sorted fields."""
        try:
            params = dict(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            )
        except (UnicodeDecodeError, ValueError) as exc:
            raise ForgedNotification("icbc", "not a form body") from exc
        signed = icbc_sign_string(self._notify_path, params)
        if not icbc_verify_gateway(self._gateway_key, signed, params.get("sign", "")):
            raise ForgedNotification("icbc", "the signature does not verify")
        try:
            biz = json.loads(params["biz_content"])
            status = TradeStatus(
                str(biz["out_trade_no"]),
                "paid" if biz.get("return_code") == 0 else "closed",
                str(biz.get("order_id", "")),
                int(str(biz["total_amt"])),
                parse_icbc_time(str(biz.get("pay_time", ""))),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise ForgedNotification("icbc", "signed but not a payment notice") from exc
        return Notification(status, str(biz.get("msg_id", "")))

    def notify_reply(self, accepted: bool) -> tuple[int, str, bytes]:
        """A signed ``response_biz_content``: return_code 0 stops ICBC's retries."""
        biz = {
            "return_code": 0 if accepted else -1,
            "return_msg": "success" if accepted else "fail",
        }
        text = json.dumps({**biz, "msg_id": secrets.token_hex(8)}, separators=(",", ":"))
        sign = icbc_sign_reply(self._private, text)
        body = '{"response_biz_content":' + text + ',"sign_type":"RSA2","sign":"' + sign + '"}'
        return 200, "application/json", body.encode()

    async def statement(self, day: date) -> list[StatementLine]:
        got = await self._call("statement", {"bill_date": day.strftime("%Y%m%d")})
        return parse_icbc_statement(str(got.get("file_content", "")))

    async def aclose(self) -> None:
        await self._http.aclose()


def parse_icbc_statement(text: str) -> list[StatementLine]:
    """``out_trade_no|order_id|type|amount|time|reject_no`` lines after a header."""
    lines = []
    for row in text.splitlines()[1:]:
        if not row.strip():
            continue
        try:
            no, trade_no, kind, amount, at, refund_no = row.split("|")
            when = parse_icbc_time(at)
            if kind not in ("PAY", "REJECT") or when is None:
                raise ValueError(kind)
        except ValueError as exc:
            raise ChannelError("icbc", "statement: a line is not in the expected form") from exc
        lines.append(
            StatementLine(
                no, trade_no, "pay" if kind == "PAY" else "refund", int(amount), when, refund_no
            )
        )
    return lines


def _notify_base(settings: Settings) -> str:
    """``pay_notify_base_url`` (the order service's setting, when present) or the cloud's."""
    return str(getattr(settings, "pay_notify_base_url", "") or settings.base_url)


def build_icbc(settings: Settings) -> IcbcChannel | None:
    if not settings.icbc_gateway_url:
        return None
    return IcbcChannel(
        settings.icbc_gateway_url,
        settings.icbc_app_id,
        settings.icbc_mer_id,
        settings.icbc_private_key.get_secret_value(),
        settings.icbc_gateway_public_key,
        # the path ICBC signs is the one the order service gives as notify_url
        urlparse(_notify_base(settings) + NOTIFY_PATH).path,
        settings.icbc_store_code,
        settings.bank_timeout_s,
    )
