"""The utilities' bill API over HTTP: each company's own paths, names and amount units (the
water company answers yuan strings, the others fen), one HMAC signature on every call
(``X-Util-`` headers, as :class:`~cloud.kiosk.departments.http_auth.HmacAuth` signs), every call
bounded by the timeout. Nothing personal is logged: the utility, the outcome and the company's
code are."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlencode

import httpx

from cloud.kiosk.departments.http_auth import HmacAuth, redact_query_strings_of
from cloud.kiosk.pay.bills import (
    AccountNotFound,
    Bill,
    BillChanged,
    NothingDue,
    Utility,
    UtilityError,
    UtilityNotConfigured,
    UtilityTimeout,
    UtilityUnavailable,
)
from cloud.settings import Settings
from cloud.settings_kiosk import DepartmentEndpoint

log = logging.getLogger(__name__)
_NOT_FOUND = {"USER_NOT_FOUND", "CONS_NOT_EXIST", "E404", "PHONE_NOT_FOUND"}


def _fen(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"not an amount: {value!r}")
    return int(value)


def _yuan_to_fen(value: Any) -> int:
    whole, _, cents = str(value).partition(".")
    if not whole.isdigit() or not (cents == "" or (cents.isdigit() and len(cents) <= 2)):
        raise ValueError(f"not a yuan amount: {value!r}")
    return int(whole) * 100 + int(cents.ljust(2, "0") or 0)


def _month(value: Any) -> str:
    text = str(value).replace("-", "")
    if len(text) != 6 or not text.isdigit():
        raise ValueError(f"not a month: {value!r}")
    return f"{text[:4]}-{text[4:]}"


def _water(utility: Utility, d: Mapping[str, Any]) -> Bill:
    amount = _yuan_to_fen(d["amount"])
    return Bill(
        utility,
        str(d["userNo"]),
        str(d["userName"]),
        _month(d["billMonth"]),
        amount,
        str(d["billNo"]),
        str(d.get("company", "自来水公司")),
    )


def _power(utility: Utility, d: Mapping[str, Any]) -> Bill:
    return Bill(
        utility,
        str(d["consNo"]),
        str(d["consName"]),
        _month(d["ym"]),
        _fen(d["oweAmt"]),
        str(d["rcvblId"]),
        str(d.get("orgName", "供电公司")),
    )


def _gas(utility: Utility, d: Mapping[str, Any]) -> Bill:
    items = d["items"]
    if not isinstance(items, list):
        raise ValueError("items is not a list")
    if not items:
        return Bill(utility, str(d["custCode"]), str(d["custName"]), "", 0, "", "燃气公司")
    latest = items[-1]
    total = sum(_fen(i["amountFen"]) for i in items)
    return Bill(
        utility,
        str(d["custCode"]),
        str(d["custName"]),
        _month(latest["month"]),
        total,
        str(latest["billId"]),
        "格尔木市燃气公司",
    )


def _landline(utility: Utility, d: Mapping[str, Any]) -> Bill:
    return Bill(
        utility,
        str(d["phoneNo"]),
        str(d["custName"]),
        _month(d["cycle"]),
        _fen(d["totalFee"]),
        str(d["billId"]),
        "中国电信格尔木分公司",
    )


@dataclass(frozen=True)
class Style:
    """One company's API: where its bill and its write-back live and what it calls things."""

    query: tuple[Literal["GET", "POST"], str, str]  # method, path, the account's name
    read: Callable[[Utility, Mapping[str, Any]], Bill]
    pay: tuple[str, str, str]  # path, the bill's name, the amount's name
    yuan: bool = False


STYLES: dict[Utility, Style] = {
    "water": Style(
        ("GET", "/water/api/v1/bill", "userNo"),
        _water,
        ("/water/api/v1/pay", "billNo", "payAmount"),
        yuan=True,
    ),
    "power": Style(
        ("POST", "/power/osg/v2/arrears", "consNo"),
        _power,
        ("/power/osg/v2/payment", "rcvblId", "payAmt"),
    ),
    "gas": Style(
        ("GET", "/gas/arrears", "custCode"), _gas, ("/gas/arrears/pay", "billId", "amountFen")
    ),
    "landline": Style(
        ("POST", "/landline/bill/query", "phoneNo"),
        _landline,
        ("/landline/bill/pay", "billId", "fee"),
    ),
}


class HttpUtilityBills:
    """The bill API of :mod:`simulators.utility_bills` and of the companies it stands for."""

    def __init__(self, endpoint: DepartmentEndpoint | None) -> None:
        self._endpoint = endpoint
        self._client: httpx.AsyncClient | None = None
        if endpoint is not None:
            redact_query_strings_of(endpoint.url)
            self._auth = HmacAuth(endpoint, "X-Util-", "hex")

    @classmethod
    def of(cls, settings: Settings) -> HttpUtilityBills:
        if not settings.pay_utilities_url:
            return cls(None)
        endpoint = DepartmentEndpoint(
            url=settings.pay_utilities_url,
            app_id=settings.pay_utilities_app_id,
            secret=settings.pay_utilities_secret,
            timeout_s=settings.pay_utilities_timeout_s,
        )
        return cls(endpoint)

    @property
    def configured(self) -> bool:
        return self._endpoint is not None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def bill(self, utility: Utility, account: str) -> Bill:
        style = STYLES[utility]
        method, path, name = style.query
        data = await self._call(utility, "bill", method, path, {name: account})
        try:
            bill = style.read(utility, data)
        except (KeyError, ValueError, TypeError, AttributeError) as err:
            raise UtilityError(f"{utility} bill: {type(err).__name__}: {err}") from err
        if bill.amount_fen <= 0:
            raise NothingDue()
        return bill

    async def mark_paid(self, bill: Bill, out_trade_no: str) -> None:
        style = STYLES[bill.utility]
        path, bill_key, amount_key = style.pay
        amount: str | int = f"{bill.amount_fen / 100:.2f}" if style.yuan else bill.amount_fen
        body = {
            style.query[2]: bill.account,
            bill_key: bill.bill_no,
            amount_key: amount,
            "outTradeNo": out_trade_no,
        }
        await self._call(bill.utility, "pay", "POST", path, body)

    async def _call(
        self, utility: Utility, op: str, method: str, path: str, args: dict[str, Any]
    ) -> Mapping[str, Any]:
        if self._endpoint is None:
            raise UtilityNotConfigured("no bill API is configured (KFLEET_PAY_UTILITIES_URL)")
        try:
            async with asyncio.timeout(self._endpoint.timeout_s):
                r = await self._send(method, path, args)
        except TimeoutError as err:
            log.warning("utilities %s %s: timeout", utility, op)
            raise UtilityTimeout(f"{utility} {op}: no answer in time") from err
        except httpx.HTTPError as err:
            log.warning("utilities %s %s: %s", utility, op, type(err).__name__)
            raise UtilityUnavailable(f"{utility} {op}: {type(err).__name__}") from err
        return self._read(utility, op, r)

    async def _send(self, method: str, path: str, args: dict[str, Any]) -> httpx.Response:
        assert self._endpoint is not None
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        content = b""
        target = path
        if method == "GET":
            target += "?" + urlencode(args, quote_via=quote)
        else:
            content = json.dumps(args, ensure_ascii=False).encode()
        headers = await self._auth.headers(self._client, method, target, content)
        if content:
            headers["Content-Type"] = "application/json"
        url = self._endpoint.url.rstrip("/") + target
        return await self._client.request(method, url, content=content, headers=headers)

    def _read(self, utility: Utility, op: str, r: httpx.Response) -> Mapping[str, Any]:
        try:
            body = r.json()
        except ValueError as err:
            log.warning("utilities %s %s: HTTP %s, not JSON", utility, op, r.status_code)
            if r.status_code >= 500:
                raise UtilityUnavailable(f"{utility} {op}: HTTP {r.status_code}") from err
            raise UtilityError(f"{utility} {op}: HTTP {r.status_code}, not JSON") from err
        code = str(body.get("code", "")) if isinstance(body, dict) else ""
        if r.status_code == 200 and code == "0" and isinstance(body.get("data"), dict):
            return dict(body["data"])
        log.warning("utilities %s %s: HTTP %s code %s", utility, op, r.status_code, code)
        if code in _NOT_FOUND:
            raise AccountNotFound(utility)
        if code == "BILL_CHANGED":
            raise BillChangedAtCompany(f"{utility} {op}: the company refused: {code}")
        if r.status_code >= 500:
            raise UtilityUnavailable(f"{utility} {op}: HTTP {r.status_code} {code}")
        raise UtilityError(f"{utility} {op}: HTTP {r.status_code} {code}")


class BillChangedAtCompany(UtilityError):
    """The write-back was refused: the company's bill is no longer the one paid."""

    code = "utility_bill_changed"


__all__ = ["STYLES", "BillChanged", "HttpUtilityBills"]
