"""How a payment order is refused, each with the citizen's (or the operator's) sentence."""

from __future__ import annotations

from cloud.kiosk.errors import KioskError


class OrderNotFound(KioskError):
    status_code = 404
    code = "order_not_found"

    def __init__(self, order_id: str) -> None:
        super().__init__(
            f"no order {order_id} for this caller",
            "没有找到该订单。",
            "There is no such order.",
        )


class ChannelNotOffered(KioskError):
    status_code = 422
    code = "channel_not_offered"

    def __init__(self, channel: str) -> None:
        super().__init__(
            f"channel {channel!r} is not configured",
            "该支付方式暂未开通，请选择其他支付方式。",
            "This payment method is not available. Please choose another.",
        )


class RequestReused(KioskError):
    """The kiosk's request id names another order (a bug on the kiosk, or a replay)."""

    status_code = 409
    code = "request_reused"

    def __init__(self) -> None:
        super().__init__(
            "this request_id was used for another bill, amount or channel",
            "订单信息有变化，请返回重新选择。",
            "The order changed. Please go back and choose again.",
        )


class OrderState(KioskError):
    """What was asked does not fit the order's state (cancel a paid one, refund an unpaid one,
    print the receipt of one that is not paid)."""

    status_code = 409
    code = "order_state"

    def __init__(self, message: str, zh: str, en: str) -> None:
        super().__init__(message, zh, en)


class RefundTooLarge(KioskError):
    status_code = 422
    code = "refund_too_large"

    def __init__(self, left_fen: int) -> None:
        super().__init__(
            f"at most {left_fen} fen can still be refunded",
            f"退款金额超过可退金额（{left_fen / 100:.2f} 元）。",
            f"The refund is more than what is left to refund ({left_fen / 100:.2f} yuan).",
        )


class ReceiptNotPrinted(KioskError):
    status_code = 409
    code = "receipt_not_printed"

    def __init__(self, why: str) -> None:
        super().__init__(
            f"the receipt job was refused: {why}",
            "本机暂时无法打印凭条。您的缴费已成功，请稍后在本机补打，或到窗口打印。",
            "This kiosk cannot print now. Your payment went through: reprint it here later "
            "or ask at a window.",
        )
