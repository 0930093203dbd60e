"""RSA2 as Alipay documents it, checked against its published sign-string example and against two
other implementations: pycryptodomex (what python-alipay-sdk signs with) and the openssl tool."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlencode

import pytest
from Cryptodome.Hash import SHA256
from Cryptodome.PublicKey import RSA
from Cryptodome.Signature import pkcs1_15

from cloud.kiosk.pay.alipay_notify import notify_fields, verified_notification
from cloud.kiosk.pay.alipay_sign import (
    bare_private_key,
    bare_public_key,
    load_private_key,
    load_public_key,
    notify_content,
    response_node,
    rsa2_sign,
    rsa2_verify,
    sign_content,
)
from cloud.kiosk.pay.alipay_wire import fen, yuan
from cloud.kiosk.pay.channel import ForgedNotification
from simulators.alipay_gateway_sign import signed_answer
from tests.kiosk.alipay_kit import app_key

#: the open platform's "自行实现签名" example request and the string it says is signed
DOC_BIZ = (
    '{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"},'
    '{"name":"查询","subButton":[{"actionParam":"ZFB_YECX","actionType":"out","name":"余额查询"},'
    '{"actionParam":"ZFB_LLCX","actionType":"out","name":"流量查询"},'
    '{"actionParam":"ZFB_HFCX","actionType":"out","name":"话费查询"}]},'
    '{"actionParam":"http://m.alipay.com","actionType":"link","name":"最新优惠"}]}'
)
DOC_PARAMS = {
    "app_id": "2014072300007148",
    "method": "alipay.mobile.public.menu.add",
    "charset": "GBK",
    "sign_type": "RSA2",
    "timestamp": "2014-07-24 03:07:50",
    "biz_content": DOC_BIZ,
    "sign": "e9zEAe4TTQ4LPLQvETPoLGXTiURcxiAKfMVQ6Hrrsx2hmyIEGvSfAQzbLxHrhyZ48wOJXTsD4FPnt+YG",
    "version": "1.0",
}
DOC_SIGN_STRING = (
    "app_id=2014072300007148&biz_content=" + DOC_BIZ + "&charset=GBK"
    "&method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 03:07:50"
    "&version=1.0"
)


def test_the_sign_string_of_the_documented_example() -> None:
    assert sign_content(DOC_PARAMS) == DOC_SIGN_STRING
    assert sign_content({**DOC_PARAMS, "notify_url": ""}) == DOC_SIGN_STRING  # empty: left out


def test_a_notification_leaves_out_sign_and_sign_type() -> None:
    fields = {"b": "2", "a": "1", "sign": "x", "sign_type": "RSA2", "c": ""}
    assert notify_content(fields) == "a=1&b=2"


def pycryptodome_sign(content: str) -> str:
    key = RSA.import_key(base64.b64decode(bare_private_key(app_key())))
    return base64.b64encode(pkcs1_15.new(key).sign(SHA256.new(content.encode()))).decode()


def test_rsa2_matches_pycryptodomex_byte_for_byte() -> None:
    """PKCS#1 v1.5 is deterministic: the same key and string give the same signature."""
    mine = rsa2_sign(app_key(), DOC_SIGN_STRING)
    assert mine == pycryptodome_sign(DOC_SIGN_STRING)
    assert rsa2_verify(app_key().public_key(), DOC_SIGN_STRING, mine)
    assert not rsa2_verify(app_key().public_key(), DOC_SIGN_STRING + "&x=1", mine)
    assert not rsa2_verify(app_key().public_key(), DOC_SIGN_STRING, "not base64!")


def test_rsa2_matches_the_openssl_tool(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    assert openssl is not None, "the openssl tool is part of the machine's base"
    pem = tmp_path / "app.pem"
    pem.write_text(_pem(app_key()))
    message = tmp_path / "message"
    message.write_bytes(DOC_SIGN_STRING.encode())
    signed = subprocess.run(
        [openssl, "dgst", "-sha256", "-sign", str(pem), str(message)],
        check=True,
        capture_output=True,
    ).stdout
    assert base64.b64encode(signed).decode() == rsa2_sign(app_key(), DOC_SIGN_STRING)


def _pem(key: object) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    assert isinstance(key, rsa.RSAPrivateKey)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_keys_load_as_pem_pkcs1_and_the_consoles_bare_base64() -> None:
    from cryptography.hazmat.primitives import serialization

    key = app_key()
    pkcs1 = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()
    for text in (bare_private_key(key), _pem(key), pkcs1, " " + bare_private_key(key) + "\n"):
        assert rsa2_sign(load_private_key(text), "x") == rsa2_sign(key, "x")
    public = bare_public_key(key.public_key())
    assert rsa2_verify(load_public_key(public), "x", rsa2_sign(key, "x"))
    with pytest.raises(ValueError, match="neither PEM nor base64"):
        load_public_key("not a key!")


def test_the_answers_signed_text_is_its_node_exactly_as_written() -> None:
    node = {"code": "10000", "msg": "Success", "subject": '水费 {11月} "}"', "qr_code": "x"}
    raw = signed_answer(app_key(), "alipay_trade_precreate_response", node)
    text = response_node(raw, "alipay_trade_precreate_response")
    assert text is not None and json.loads(text) == node
    assert rsa2_verify(app_key().public_key(), text, json.loads(raw)["sign"])
    spaced = '{"alipay_trade_query_response" : {"a": "}"} ,"sign":"s"}'
    assert response_node(spaced, "alipay_trade_query_response") == '{"a": "}"}'
    assert response_node(spaced, "error_response") is None


def documented_notification(app_id: str) -> dict[str, str]:
    """A paid trade's notification with the fields the open platform's example carries."""
    return {
        "gmt_create": "2026-12-07 10:12:01",
        "charset": "utf-8",
        "gmt_payment": "2026-12-07 10:12:31",
        "notify_time": "2026-12-07 10:12:32",
        "subject": "格尔木市自来水公司 水费 2026-11",
        "buyer_id": "2088102122524333",
        "invoice_amount": "86.50",
        "version": "1.0",
        "notify_id": "2026120700222101232004360515555512",
        "fund_bill_list": '[{"amount":"86.50","fundChannel":"ALIPAYACCOUNT"}]',
        "notify_type": "trade_status_sync",
        "out_trade_no": "K20261207000001",
        "total_amount": "86.50",
        "trade_status": "TRADE_SUCCESS",
        "trade_no": "2026120722001424330500123456",
        "auth_app_id": app_id,
        "receipt_amount": "86.50",
        "point_amount": "0.00",
        "app_id": app_id,
        "buyer_pay_amount": "86.50",
        "sign_type": "RSA2",
        "seller_id": "2088102177846880",
    }


def test_a_documented_notification_signed_elsewhere_verifies() -> None:
    fields = documented_notification("2021000122671234")
    fields["sign"] = pycryptodome_sign(notify_content(fields))
    body = urlencode(fields).encode()
    got = notify_fields(body, "application/x-www-form-urlencoded; charset=utf-8")
    note = verified_notification(got, "2021000122671234", app_key().public_key())
    assert note.notify_id == fields["notify_id"]
    assert (note.status.state, note.status.amount_fen) == ("paid", 8650)
    assert note.status.paid_at is not None and note.status.paid_at.hour == 10


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"total_amount": "0.01"}, "signature"),
        ({"sign_type": "RSA"}, "RSA2"),
        ({"sign": ""}, "signature"),
        ({"app_id": "2021000000000999"}, "signature"),
    ],
)
def test_a_changed_notification_is_refused(change: dict[str, str], why: str) -> None:
    fields = documented_notification("2021000122671234")
    fields["sign"] = pycryptodome_sign(notify_content(fields))
    with pytest.raises(ForgedNotification, match=why):
        verified_notification({**fields, **change}, "2021000122671234", app_key().public_key())


def test_a_genuine_notification_of_another_kind_is_refused() -> None:
    fields = documented_notification("2021000122671234") | {"notify_type": "fund_auth_sync"}
    fields["sign"] = pycryptodome_sign(notify_content(fields))
    with pytest.raises(ForgedNotification, match="notify_type"):
        verified_notification(fields, "2021000122671234", app_key().public_key())


def test_a_notification_signed_with_sign_type_included_is_refused() -> None:
    """The notify rule differs from the request rule: a signer that kept sign_type is wrong."""
    fields = documented_notification("2021000122671234")
    fields["sign"] = pycryptodome_sign(sign_content(fields))
    with pytest.raises(ForgedNotification, match="signature"):
        verified_notification(fields, "2021000122671234", app_key().public_key())


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"a=1", "application/json"),
        (b"a=1&a=2", "application/x-www-form-urlencoded"),
        (b"subject=%FF%FE", "application/x-www-form-urlencoded"),
        ("a=水".encode(), "application/x-www-form-urlencoded"),
    ],
)
def test_what_is_not_a_clean_form_is_refused(body: bytes, content_type: str) -> None:
    with pytest.raises(ForgedNotification):
        notify_fields(body, content_type)


def test_amounts_are_exact_in_both_directions() -> None:
    assert [yuan(v) for v in (0, 1, 10, 8650, 100000000)] == [
        "0.00",
        "0.01",
        "0.10",
        "86.50",
        "1000000.00",
    ]
    assert [fen(v) for v in ("0.01", "86.5", "86.50", "12", "-0.30")] == [1, 8650, 8650, 1200, -30]
    for bad in ("1.234", "1e3", "", "0x10", "1,00", "NaN"):
        with pytest.raises(ValueError):
            fen(bad)
