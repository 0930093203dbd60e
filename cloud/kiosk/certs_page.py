"""The public verification page a certificate's QR code opens (``GET /v/<token>``): genuine —
with what the certificate is, who issued it, when, and its holder masked (张*明) — or not
genuine (a forged or damaged link, or a number never issued). Plain HTML, style inline,
nothing fetched from elsewhere; zh-CN with English beneath."""

from __future__ import annotations

from html import escape

from cloud.hall.ticket_token import HALL_TZ
from cloud.kiosk.certs_service import Verdict

_STYLE = """
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:0;background:#f4f6f8;color:#1b2733}
main{max-width:30rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.5rem;text-align:center}.en{color:#4a5a6a;font-size:.95rem}
.box{background:#fff;border-radius:.75rem;padding:1rem;margin:1rem 0;box-shadow:0 1px 3px #0002}
.ok{color:#0b6b2f}.bad{color:#a61b1b}dt{font-weight:600;margin-top:.5rem}dd{margin:0}
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def genuine_html(v: Verdict) -> str:
    issued = v.issued_at.astimezone(HALL_TZ).strftime("%Y-%m-%d %H:%M")
    facts = [
        ("证明名称 Certificate", f"{v.name}<div class='en'>{escape(v.name_en)}</div>"),
        ("证明编号 Number", f"<span id='number'>{escape(v.number)}</span>"),
        ("持证人 Holder", f"{escape(v.holder)}（{escape(v.id_number)}）"),
        ("出具单位 Issued by", escape(v.issuer)),
        ("出具时间 Issued at", issued),
    ]
    rows = "".join(f"<dt>{k}</dt><dd>{val}</dd>" for k, val in facts)
    body = (
        "<h1>证明真伪核验</h1>"
        "<div class='box'><div class='ok' id='verdict' data-genuine='1'><strong>"
        "该证明真实有效</strong><div class='en'>This certificate is genuine.</div></div>"
        f"<dl>{rows}</dl></div>"
        "<p class='en'>请核对纸质证明上的内容与本页一致。"
        "Check that the paper matches this page.</p>"
    )
    return _page(f"证明核验 {v.number}", body)


def not_genuine_html() -> str:
    body = (
        "<h1>证明真伪核验</h1>"
        "<div class='box'><div class='bad' id='verdict' data-genuine='0'><strong>"
        "未查询到该证明，证明可能不真实</strong><div class='en'>No such certificate was "
        "issued: it may be forged. Ask the issuing office.</div></div></div>"
    )
    return _page("证明核验：未通过", body)
