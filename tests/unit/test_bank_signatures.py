"""The banks' signing rules (protocols.bank_sign) against published examples and against
signatures made independently (the openssl command line: PKCS#1 v1.5 is deterministic, so the
same key and text must give the same bytes)."""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from protocols.bank_sign import (
    CCB_ORDER_FIELDS,
    ccb_join,
    ccb_mac,
    ccb_sign_notify,
    ccb_verify_notify,
    icbc_sign_gateway,
    icbc_sign_request,
    icbc_sign_string,
    icbc_verify_gateway,
    icbc_verify_request,
    new_key_pair,
    public_hex,
)

# ICBC's open-platform signing guide's example (the encrypted-request case): the string to
# sign is the path, "?", and the sorted non-empty parameters, raw (not URL-encoded).
ICBC_EXAMPLE_PARAMS = {
    "app_id": "10000000000000197550",
    "biz_content": "3cASV3khKSzv3U/oUl2Y5Dw/XLUAdYm6TEm1kTnF17r5oQ/Yg7YabTgkADA8B0Zb0hcAm/QX"
    "N4WTUkdnbw7HXxf6nsxUc49k7miVezapIec=",
    "charset": "UTF-8",
    "encrypt_type": "AES",
    "format": "json",
    "msg_id": "1659701090056",
    "sign_type": "RSA2",
    "timestamp": "2022-08-05 20:05:42",
    "ca": "",  # empty: left out
    "sign": "ignored",
}
ICBC_EXAMPLE_STRING = (
    "/api/jft/api/vacct/token/get/V1?app_id=10000000000000197550&biz_content="
    + ICBC_EXAMPLE_PARAMS["biz_content"]
    + "&charset=UTF-8&encrypt_type=AES&format=json&msg_id=1659701090056&sign_type=RSA2"
    + "&timestamp=2022-08-05 20:05:42"
)
# CCB's MAC source string as its integration examples show it (fields in this order, empty
# ones kept as "NAME=")
CCB_EXAMPLE = {
    "MERCHANTID": "105002653991975",
    "POSID": "042166601",
    "BRANCHID": "322000000",
    "ORDERID": "202201241515557833",
    "PAYMENT": "0.01",
    "CURCODE": "01",
    "TXCODE": "HT0000",
    "REMARK1": "bill",
    "REMARK2": "",
    "RETURNTYPE": "1",
    "TIMEOUT": "",
}
CCB_EXAMPLE_STRING = (
    "MERCHANTID=105002653991975&POSID=042166601&BRANCHID=322000000&ORDERID=202201241515557833"
    "&PAYMENT=0.01&CURCODE=01&TXCODE=HT0000&REMARK1=bill&REMARK2=&RETURNTYPE=1&TIMEOUT="
)


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return new_key_pair()


def openssl_sign(tmp: Path, private_pem: str, text: str, digest: str) -> bytes:
    assert shutil.which("openssl"), "openssl is needed for the independent signature"
    key, data = tmp / "key.pem", tmp / "data.txt"
    key.write_text(private_pem)
    data.write_bytes(text.encode())
    run = subprocess.run(
        ["openssl", "dgst", f"-{digest}", "-sign", str(key), str(data)],
        capture_output=True,
        check=True,
    )
    return run.stdout


def test_icbc_string_to_sign_matches_the_published_example() -> None:
    path = "/api/jft/api/vacct/token/get/V1"
    assert icbc_sign_string(path, ICBC_EXAMPLE_PARAMS) == ICBC_EXAMPLE_STRING


def test_icbc_rsa2_request_signature_equals_openssl(tmp_path: Path, keys: tuple[str, str]) -> None:
    private, public = keys
    path = "/api/qrcode/V2/generate"
    params = {"app_id": "1", "biz_content": '{"a":"水费"}', "msg_id": "m", "sign_type": "RSA2"}
    ours = icbc_sign_request(private, path, params)
    theirs = openssl_sign(tmp_path, private, icbc_sign_string(path, params), "sha256")
    assert base64.b64decode(ours) == theirs
    assert icbc_verify_request(public, path, {**params, "sign": ours})
    assert not icbc_verify_request(public, path, {**params, "msg_id": "x", "sign": ours})
    assert not icbc_verify_request(public, path, {**params, "sign": "not base64!"})


def test_icbc_gateway_signature_is_sha1_with_rsa(tmp_path: Path, keys: tuple[str, str]) -> None:
    private, public = keys
    text = '{"return_code":0,"return_msg":"success","qrcode":"x"}'
    ours = icbc_sign_gateway(private, text)
    assert base64.b64decode(ours) == openssl_sign(tmp_path, private, text, "sha1")
    assert icbc_verify_gateway(public, text, ours)
    assert not icbc_verify_gateway(public, text.replace("0", "1"), ours)


def test_ccb_mac_source_string_and_digest() -> None:
    assert ccb_join(CCB_ORDER_FIELDS, CCB_EXAMPLE) == CCB_EXAMPLE_STRING
    public = "30819d300d06092a864886f70d010101050003818b0030818702818100" + "ab" * 40 + "020111"
    expected = hashlib.md5(
        (CCB_EXAMPLE_STRING + "&PUB=" + public[-30:]).encode(), usedforsecurity=False
    ).hexdigest()
    assert ccb_mac(CCB_EXAMPLE, public) == expected
    assert ccb_mac(CCB_EXAMPLE, public[:-1] + "0") != expected


def test_ccb_notification_signature_is_md5_with_rsa_hex(
    tmp_path: Path, keys: tuple[str, str]
) -> None:
    private, public = keys
    fields = {"POSID": "042166601", "BRANCHID": "322000000", "ORDERID": "1", "PAYMENT": "0.01"}
    fields |= {"CURCODE": "01", "SUCCESS": "Y", "ACCDATE": "20261207"}
    sign = ccb_sign_notify(private, fields)
    from protocols.bank_sign import CCB_NOTIFY_FIELDS

    source = ccb_join(CCB_NOTIFY_FIELDS, fields)
    assert bytes.fromhex(sign) == openssl_sign(tmp_path, private, source, "md5")
    hex_key = public_hex(public)
    assert hex_key.startswith("30")  # DER SubjectPublicKeyInfo, as CCB hands it out
    assert ccb_verify_notify(hex_key, {**fields, "SIGN": sign})
    assert not ccb_verify_notify(hex_key, {**fields, "PAYMENT": "100.00", "SIGN": sign})
    assert not ccb_verify_notify(hex_key, {**fields, "SIGN": "zz"})
