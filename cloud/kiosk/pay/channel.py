"""The payment-channel contract: what the order service asks of Alipay, ICBC and CCB alike.

A channel is one adapter over one gateway's real protocol (request signing, the asynchronous
notification and its signature, query, close, refund, the daily statement file), with a
simulator in ``simulators/`` that signs and verifies like the real gateway. The order service
(``cloud/kiosk/pay/orders*.py``) never sees a gateway's wire format: it sees these shapes.

Amounts are integers in fen (分) everywhere; a channel converts at its edge (Alipay's
``total_amount`` is a yuan string with two decimals).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal, Protocol

from cloud.kiosk.errors import KioskError, OutsideSystemError

if TYPE_CHECKING:
    from cloud.settings import Settings

#: the channels a kiosk offers, as their adapters name themselves
ChannelName = Literal["alipay", "icbc", "ccb"]
#: a trade as the channel sees it
TradeState = Literal["waiting", "paid", "closed", "refunded"]


@dataclass(frozen=True)
class ChannelOrder:
    """What the order service asks a channel to collect."""

    #: our order number (商户订单号): unique per order, the idempotency key at the gateway
    out_trade_no: str
    amount_fen: int
    #: what the citizen's phone shows (e.g. "格尔木市自来水公司 水费 2026-11")
    subject: str
    #: where the gateway posts its asynchronous notification (the cloud's public URL)
    notify_url: str
    #: after this long unpaid the gateway closes the trade by itself (and so do we)
    timeout_s: int


@dataclass(frozen=True)
class Precreated:
    #: what the kiosk shows as a QR code for the citizen's phone to scan
    qr_content: str
    #: the gateway's own trade number, when it gives one at precreate
    trade_no: str = ""


@dataclass(frozen=True)
class TradeStatus:
    """A trade's state, from a query or a notification."""

    out_trade_no: str
    state: TradeState
    trade_no: str = ""
    #: what the gateway says was paid (checked against the order: a mismatch is flagged)
    amount_fen: int = 0
    paid_at: datetime | None = None


@dataclass(frozen=True)
class Notification:
    """A verified asynchronous notification (its signature checked by :meth:`verify_notify`)."""

    status: TradeStatus
    #: the gateway's id of this notification (repeats of one notification share it)
    notify_id: str


@dataclass(frozen=True)
class Refunded:
    out_refund_no: str
    amount_fen: int
    refunded_at: datetime


@dataclass(frozen=True)
class StatementLine:
    """One line of a channel's daily statement (对账单): a payment or a refund."""

    out_trade_no: str
    trade_no: str
    kind: Literal["pay", "refund"]
    amount_fen: int
    at: datetime
    #: the refund's number for refund lines
    out_refund_no: str = ""


class ChannelError(OutsideSystemError):
    """The gateway refused or failed (its code and message logged; the citizen told plainly)."""

    code = "payment_channel_error"

    def __init__(self, channel: str, message: str) -> None:
        super().__init__(
            channel,
            message,
            "支付渠道暂时不可用，请稍后再试或换一种支付方式。未扣款的订单不会收费。",
            "The payment channel is not available now. Try again later or choose another; "
            "an unpaid order is never charged.",
        )


class ForgedNotification(KioskError):
    """A notification whose signature does not verify (or that is not one at all): refused,
    logged with its source, never applied to an order."""

    status_code = 400
    code = "notification_forged"

    def __init__(self, channel: str, why: str) -> None:
        super().__init__(f"{channel} notification refused: {why}", "通知无效。", "Invalid notice.")
        self.channel = channel


class PaymentChannel(Protocol):
    """One gateway. Every call is bounded by the channel's timeout; failures raise
    :class:`ChannelError`."""

    @property
    def name(self) -> ChannelName: ...

    async def precreate(self, order: ChannelOrder) -> Precreated:
        """Open a trade the citizen pays by scanning a QR code (idempotent per out_trade_no)."""
        ...

    async def query(self, out_trade_no: str) -> TradeStatus: ...

    async def close(self, out_trade_no: str) -> None:
        """Close an unpaid trade (a timeout, the citizen cancelled); closing a closed one is
        fine; closing a paid one raises :class:`ChannelError`."""
        ...

    async def refund(
        self, out_trade_no: str, out_refund_no: str, amount_fen: int, reason: str
    ) -> Refunded:
        """Refund (part of) a paid trade; idempotent per ``out_refund_no``."""
        ...

    def verify_notify(
        self, body: bytes, content_type: str, headers: Mapping[str, str]
    ) -> Notification:
        """The notification in a gateway's POST, its signature verified; raises
        :class:`ForgedNotification` otherwise."""
        ...

    def notify_reply(self, accepted: bool) -> tuple[int, str, bytes]:
        """What the gateway expects back (status, media type, body): Alipay wants ``success``;
        anything else makes it retry."""
        ...

    async def statement(self, day: date) -> list[StatementLine]:
        """The gateway's statement file for ``day`` (hall time zone), downloaded and parsed."""
        ...

    async def aclose(self) -> None: ...


#: builds a channel from the settings, or None when it is not configured
ChannelBuilder = Callable[["Settings"], PaymentChannel | None]


@dataclass(frozen=True)
class LedgerLine:
    """What our orders say happened on one channel on one day: the other side of
    reconciliation (``cloud/kiosk/pay/reconcile*.py`` compares these with the statement)."""

    order_id: str
    out_trade_no: str
    trade_no: str
    kind: Literal["pay", "refund"]
    amount_fen: int
    at: datetime
    out_refund_no: str = ""


class OrderLedger(Protocol):
    """Implemented by the order service; read by reconciliation."""

    async def ledger(self, channel: ChannelName, day: date) -> list[LedgerLine]: ...
