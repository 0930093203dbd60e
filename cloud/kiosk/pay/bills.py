"""The utilities' bills (水电气固话): one adapter interface for the water, electricity, gas and
landline companies, the bill it answers, and how it fails — each failure with the citizen's
sentence (``cloud.kiosk.errors``). The HTTP adapter is :mod:`cloud.kiosk.pay.bills_http`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from cloud.kiosk.errors import KioskError, OutsideSystemError

Utility = Literal["water", "power", "gas", "landline"]
UTILITIES: tuple[Utility, ...] = ("water", "power", "gas", "landline")
#: (zh, en) of each utility, as the kiosk and the receipt name it
UTILITY_NAMES: dict[Utility, tuple[str, str]] = {
    "water": ("水费", "Water"),
    "power": ("电费", "Electricity"),
    "gas": ("燃气费", "Gas"),
    "landline": ("固话费", "Landline"),
}
#: what an account number looks like, per utility (checked before any company is asked)
ACCOUNT_PATTERN = r"^[A-Za-z0-9]{6,20}$"


@dataclass(frozen=True)
class Bill:
    """What is due on one account now; ``bill_no`` changes when the bill does."""

    utility: Utility
    account: str
    #: the holder's name as the company has it (masked before it leaves the cloud)
    holder: str
    period: str  # YYYY-MM
    amount_fen: int
    bill_no: str
    company: str


class UtilityBills(Protocol):
    async def bill(self, utility: Utility, account: str) -> Bill:
        """The bill due now; raises :class:`AccountNotFound` or a :class:`UtilityError`."""
        ...

    async def mark_paid(self, bill: Bill, out_trade_no: str) -> None:
        """Tell the company the bill was paid (write-back); idempotent per ``out_trade_no``."""
        ...

    async def close(self) -> None: ...


class AccountNotFound(KioskError):
    status_code = 404
    code = "account_not_found"

    def __init__(self, utility: Utility) -> None:
        zh, en = UTILITY_NAMES[utility]
        super().__init__(
            f"{utility}: no such account",
            f"未查询到该{zh}户号，请核对缴费通知单上的户号后重新输入。",
            f"No {en.lower()} account has this number. Check the number on your bill and "
            "type it again.",
        )


class NothingDue(KioskError):
    status_code = 409
    code = "nothing_due"

    def __init__(self) -> None:
        super().__init__(
            "the account owes nothing",
            "该户号当前没有待缴费用。",
            "Nothing is due on this account.",
        )


class BillChanged(KioskError):
    """The bill changed between the citizen's query and the order (a new reading)."""

    status_code = 409
    code = "bill_changed"

    def __init__(self, new: Bill) -> None:
        yuan = f"{new.amount_fen / 100:.2f}"
        super().__init__(
            f"{new.utility}: the bill changed before payment",
            f"账单已更新，当前应缴 {yuan} 元，请确认新的金额后再支付。",
            f"The bill has changed: {yuan} yuan is due now. Please confirm the new amount.",
        )
        self.new = new


class UtilityError(OutsideSystemError):
    """The company's system failed or refused us (logged with its code)."""

    status_code = 502
    code = "utility_error"

    def __init__(self, message: str) -> None:
        super().__init__(
            "utilities",
            message,
            "缴费系统暂时无法使用，请稍后再试或到营业厅缴费。",
            "Bill payment is not available now. Please try later or pay at the company's office.",
        )


class UtilityUnavailable(UtilityError):
    status_code = 503
    code = "utility_unavailable"


class UtilityTimeout(UtilityError):
    status_code = 504
    code = "utility_timeout"


class UtilityNotConfigured(UtilityError):
    status_code = 503
    code = "utility_not_configured"
