"""The four utilities' bill APIs (水电气固话) on one loopback server, for the kiosk's 生活缴费
(docs/kiosk-payments.md, docs/simulators.md).

Each company keeps its own wire style, as real ones do: the water company answers amounts in
yuan strings under ``userNo``; the power company (国网 style) takes a JSON body with ``consNo``
and answers fen under ``oweAmt``; the gas company wants ``custCode`` and answers a list of
unpaid months; the telephone company takes ``phoneNo`` and answers ``totalFee`` in fen. Every
call is signed like the departments' HMAC gateways (:mod:`simulators.dept_common`, header
prefix ``X-Util-``); the faults of :class:`~simulators.dept_common.Faults` apply.

Test and demo levers: :meth:`UtilityBillsSim.change_bill` (a bill that changes between query
and pay: a new bill number and amount), an unknown account (any number not seeded), and the
"paid" write-back (``.../pay``, idempotent per ``outTradeNo``) recorded in ``paid``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from simulators.dept_common import DeptSimulator, Handler, Refusal, need

UTILITIES = ("water", "power", "gas", "landline")


@dataclass
class Account:
    utility: str
    number: str
    holder: str
    period: str  # YYYY-MM
    amount_fen: int
    bill_no: str = field(default_factory=lambda: secrets.token_hex(6).upper())


@dataclass(frozen=True)
class PaidBill:
    utility: str
    number: str
    bill_no: str
    amount_fen: int
    out_trade_no: str


def _seed() -> dict[tuple[str, str], Account]:
    rows = [
        Account("water", "3100012345", "王晓明", "2026-11", 5630),
        Account("water", "3100067890", "李秀英", "2026-11", 12800),
        Account("power", "0801234567", "王晓明", "2026-11", 18745),
        Account("power", "0807654321", "张建国", "2026-11", 9620),
        Account("gas", "G20261188", "王晓明", "2026-10", 4210),
        Account("gas", "G20265566", "马文清", "2026-11", 16050),
        Account("landline", "09798412345", "王晓明", "2026-11", 3900),
        Account("landline", "09798467890", "格尔木市昆仑小学", "2026-11", 15600),
    ]
    return {(a.utility, a.number): a for a in rows}


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


@dataclass
class UtilityBillsSim(DeptSimulator):
    """Signed by HMAC on every call (``X-Util-App-Id`` ... ``X-Util-Signature``, hex)."""

    code: str = "utilities"
    auth: Any = "hmac"
    app_id: str = "sim-utilities"
    secret: str = "sim-utilities-secret"
    header_prefix: str = "X-Util-"
    accounts: dict[tuple[str, str], Account] = field(default_factory=_seed)
    #: every accepted "paid" write-back, in order (one per out_trade_no)
    paid: list[PaidBill] = field(default_factory=list)
    #: bill queries answered, per utility (the kiosk asks again before it orders)
    queried: dict[str, int] = field(default_factory=dict)

    def change_bill(self, utility: str, number: str, amount_fen: int) -> Account:
        """A new bill for the account (a late meter reading): new number, new amount."""
        account = self.accounts[(utility, number)]
        account.amount_fen = amount_fen
        account.bill_no = secrets.token_hex(6).upper()
        return account

    def routes(self) -> dict[tuple[str, str], Handler]:
        return {
            ("GET", "/water/api/v1/bill"): self._water,
            ("POST", "/water/api/v1/pay"): self._pay("water", "userNo", "billNo", "payAmount"),
            ("POST", "/power/osg/v2/arrears"): self._power,
            ("POST", "/power/osg/v2/payment"): self._pay("power", "consNo", "rcvblId", "payAmt"),
            ("GET", "/gas/arrears"): self._gas,
            ("POST", "/gas/arrears/pay"): self._pay("gas", "custCode", "billId", "amountFen"),
            ("POST", "/landline/bill/query"): self._landline,
            ("POST", "/landline/bill/pay"): self._pay("landline", "phoneNo", "billId", "fee"),
        }

    def _account(self, utility: str, number: str) -> Account:
        self.queried[utility] = self.queried.get(utility, 0) + 1
        account = self.accounts.get((utility, number))
        if account is None:
            codes = {"water": "USER_NOT_FOUND", "power": "CONS_NOT_EXIST", "gas": "E404"}
            raise Refusal(codes.get(utility, "PHONE_NOT_FOUND"), "no such account", 404)
        return account

    def _water(self, p: dict[str, str]) -> dict[str, Any]:
        (number,) = need(p, "userNo")
        a = self._account("water", number)
        return {
            "userNo": a.number,
            "userName": a.holder,
            "billMonth": a.period,
            "billNo": a.bill_no,
            "amount": _yuan(a.amount_fen),
            "company": "格尔木市自来水公司",
        }

    def _power(self, p: dict[str, str]) -> dict[str, Any]:
        (number,) = need(p, "consNo")
        a = self._account("power", number)
        return {
            "consNo": a.number,
            "consName": a.holder,
            "ym": a.period.replace("-", ""),
            "rcvblId": a.bill_no,
            "oweAmt": a.amount_fen,
            "orgName": "国网格尔木供电公司",
        }

    def _gas(self, p: dict[str, str]) -> dict[str, Any]:
        (number,) = need(p, "custCode")
        a = self._account("gas", number)
        month = {"month": a.period, "billId": a.bill_no, "amountFen": a.amount_fen}
        return {
            "custCode": a.number,
            "custName": a.holder,
            "items": [month] if a.amount_fen else [],
        }

    def _landline(self, p: dict[str, str]) -> dict[str, Any]:
        (number,) = need(p, "phoneNo")
        a = self._account("landline", number)
        return {
            "phoneNo": a.number,
            "custName": a.holder,
            "cycle": a.period.replace("-", ""),
            "billId": a.bill_no,
            "totalFee": a.amount_fen,
        }

    def _pay(self, utility: str, number_key: str, bill_key: str, amount_key: str) -> Handler:
        def handle(p: dict[str, str]) -> dict[str, Any]:
            number, bill_no, amount, trade = need(p, number_key, bill_key, amount_key, "outTradeNo")
            done = next((x for x in self.paid if x.out_trade_no == trade), None)
            if done is not None:  # a repeat of one write-back: the same answer
                return {"accepted": True, "outTradeNo": trade, "repeat": True}
            a = self._account(utility, number)
            fen = round(float(amount) * 100) if utility == "water" else int(amount)
            if bill_no != a.bill_no or fen != a.amount_fen:
                raise Refusal("BILL_CHANGED", "the bill is not the one paid", 409)
            self.paid.append(PaidBill(utility, number, bill_no, fen, trade))
            a.amount_fen = 0  # settled: the next query shows nothing due
            return {"accepted": True, "outTradeNo": trade, "repeat": False}

        return handle
