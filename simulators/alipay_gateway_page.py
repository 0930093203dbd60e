"""The simulated Alipay gateway's "phone": the page the kiosk's QR code opens, where the person
trying the demo confirms or cancels the payment (zh-CN, English beneath)."""

from __future__ import annotations

from html import escape

from simulators.alipay_gateway_trades import Trade, yuan

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f5f5f5;color:#1a1a1a}
main{max-width:26rem;margin:0 auto;padding:1.5rem}
h1{font-size:1.2rem;color:#0b4fa8}.amount{font-size:2.4rem;font-weight:700;margin:.5rem 0}
button{font-size:1.1rem;width:100%;min-height:3rem;margin:.4rem 0;border-radius:.5rem;border:0}
.pay{background:#0b4fa8;color:#fff}.cancel{background:#ddd;color:#1a1a1a}
.en{color:#555;font-size:.9rem}
"""

_WORDS = {
    "TRADE_SUCCESS": ("支付成功", "Paid"),
    "TRADE_CLOSED": ("交易已关闭", "This trade is closed"),
}


def page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def cashier(trade: Trade) -> str:
    """The cashier for a trade still waiting, or what became of it."""
    head = (
        "<h1>支付宝（模拟） <span class=en lang=en>Alipay (simulated)</span></h1>"
        f"<p>{escape(trade.subject)}</p>"
        f"<p class=amount>¥ {yuan(trade.amount_fen)}</p>"
    )
    if trade.status != "WAIT_BUYER_PAY":
        zh, en = _WORDS.get(trade.status, ("交易状态：" + trade.status, trade.status))
        return page(
            zh, head + f"<p role=status>{escape(zh)} <span class=en lang=en>{en}</span></p>"
        )
    form = (
        f'<form method=post action="/pay/{escape(trade.qr)}">'
        "<button class=pay name=action value=confirm>确认付款 "
        "<span lang=en>Confirm payment</span></button>"
        "<button class=cancel name=action value=cancel>取消 <span lang=en>Cancel</span></button>"
        "</form>"
    )
    return page("确认付款", head + form)


def unknown() -> str:
    return page(
        "二维码无效",
        "<h1>二维码无效或已过期</h1><p class=en lang=en>This code is not valid or has expired.</p>",
    )


def waiting_list(trades: list[Trade]) -> str:
    """The open QR codes, newest first: for whoever tries the demo without a phone to scan."""
    items = "".join(
        f'<li><a href="/pay/{escape(t.qr)}">{escape(t.subject)} ¥ {yuan(t.amount_fen)}</a></li>'
        for t in trades
    )
    body = (
        "<h1>待支付 <span class=en lang=en>Waiting to be paid</span></h1>"
        + (
            f"<ul>{items}</ul>"
            if items
            else "<p>没有待支付的二维码 <span class=en lang=en>No QR code is waiting</span></p>"
        )
        + "<p class=en>Open one to confirm or cancel it, as a phone that scanned it would.</p>"
    )
    return page("待支付", body)
