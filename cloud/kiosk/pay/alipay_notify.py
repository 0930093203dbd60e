"""Alipay's asynchronous notification (异步通知): a form POST whose signature is verified with
Alipay's public key before anything in it is believed.

Refused (:class:`ForgedNotification`, never applied): not a form, a key twice, another app's
``app_id``, a ``sign_type`` other than RSA2, no ``notify_id``/``out_trade_no``, a signature
that does not verify, a ``trade_status`` or amount Alipay does not send. Repeats of one
notification carry the same ``notify_id``: the order service applies it once.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from cryptography.hazmat.primitives.asymmetric import rsa

from cloud.kiosk.pay.alipay_sign import notify_content, rsa2_verify
from cloud.kiosk.pay.alipay_wire import status_of
from cloud.kiosk.pay.channel import ForgedNotification, Notification

FORM = "application/x-www-form-urlencoded"
MAX_BODY = 64 * 1024
#: what Alipay wants back: exactly ``success``; anything else and it sends the notice again
#: (after 4 m, 10 m, 10 m, 1 h, 2 h, 6 h, 15 h)
ACCEPTED, REFUSED = b"success", b"failure"


def notify_fields(body: bytes, content_type: str) -> dict[str, str]:
    """The form's fields, decoded in the charset the form names (``charset``, utf-8 by
    default); a key given twice is refused (which one would be signed?)."""
    if content_type.split(";")[0].strip().lower() != FORM:
        raise ForgedNotification("alipay", f"not a form post ({content_type or 'no type'})")
    if len(body) > MAX_BODY:
        raise ForgedNotification("alipay", f"body of {len(body)} bytes")
    try:
        text = body.decode("ascii")
        first = parse_qsl(text, keep_blank_values=True, errors="replace")
        charset = dict(first).get("charset", "utf-8") or "utf-8"
        pairs = parse_qsl(text, keep_blank_values=True, encoding=charset, errors="strict")
    except (UnicodeDecodeError, LookupError, ValueError) as err:
        raise ForgedNotification("alipay", f"undecodable form: {err}") from err
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise ForgedNotification("alipay", "a field is given twice")
    return fields


def verified_notification(
    fields: Mapping[str, str], app_id: str, alipay_key: rsa.RSAPublicKey
) -> Notification:
    """The notification the fields carry, once they prove to come from Alipay for our app."""
    if fields.get("sign_type", "RSA2") != "RSA2":
        raise ForgedNotification("alipay", f"sign_type {fields.get('sign_type')!r}, not RSA2")
    sign = fields.get("sign", "")
    charset = fields.get("charset", "utf-8") or "utf-8"
    if not sign or not rsa2_verify(alipay_key, notify_content(fields), sign, charset):
        raise ForgedNotification("alipay", "the signature does not verify with Alipay's key")
    if fields.get("app_id") != app_id:  # signed by Alipay, but for another app of ours
        raise ForgedNotification("alipay", f"for app {fields.get('app_id')!r}, not ours")
    if fields.get("notify_type", "trade_status_sync") != "trade_status_sync":
        raise ForgedNotification("alipay", f"notify_type {fields.get('notify_type')!r}")
    notify_id, out_trade_no = fields.get("notify_id", ""), fields.get("out_trade_no", "")
    if not notify_id or not out_trade_no:
        raise ForgedNotification("alipay", "notify_id or out_trade_no missing")
    try:
        status = status_of(fields)
    except ValueError as err:
        raise ForgedNotification("alipay", f"not a trade notification: {err}") from err
    return Notification(status=status, notify_id=notify_id)
