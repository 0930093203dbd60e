"""The two banks' signing rules, as their merchant documentation gives them (docs/pay-banks.md):
shared by the channels (``cloud/kiosk/pay/icbc*.py``, ``ccb*.py``) and the gateway simulators
(``simulators/icbc_gateway*.py``, ``ccb_gateway*.py``), which must agree byte for byte; the
signature tests check them against independent computations and fixed vectors.

ICBC API开放平台: the string to sign is the request path, ``?``, then every non-empty parameter
but ``sign`` as ``k=v`` sorted by name and joined by ``&`` (raw values, not URL-encoded);
requests are signed RSA2 (SHA256withRSA), the gateway's answers and notifications RSA
(SHA1withRSA, as its SDK verifies them), signatures in base64.

CCB 网上支付/聚合支付: requests carry ``MAC`` = MD5 (hex, lower case) of the fields in the
documented order joined as ``k=v&...`` with ``&PUB=`` and the last 30 characters of the
merchant's CCB public key appended (PUB is never sent); the bank's notification carries
``SIGN`` = hex of an MD5withRSA signature over its fields in documented order, verified with
that public key (hex DER, as CCB hands it out).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

Hash = hashes.SHA256 | hashes.SHA1 | hashes.MD5


def _private(pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def _public(pem_or_hex: str) -> rsa.RSAPublicKey:
    text = pem_or_hex.strip()
    if text.startswith("-----"):
        key = serialization.load_pem_public_key(text.encode())
    else:  # CCB: hex of the DER SubjectPublicKeyInfo
        key = serialization.load_der_public_key(binascii.unhexlify(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def rsa_sign(private_pem: str, message: bytes, algorithm: Hash) -> bytes:
    return _private(private_pem).sign(message, padding.PKCS1v15(), algorithm)


def rsa_verify(public_key: str, message: bytes, signature: bytes, algorithm: Hash) -> bool:
    try:
        _public(public_key).verify(signature, message, padding.PKCS1v15(), algorithm)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- ICBC ------------------------------------------------------------------------------------


def icbc_sign_string(path: str, params: Mapping[str, str]) -> str:
    """``/api/...?a=1&b=2``: every non-empty parameter but ``sign``, sorted by name."""
    pairs = sorted((k, v) for k, v in params.items() if k != "sign" and v != "")
    return path + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def icbc_sign_request(private_pem: str, path: str, params: Mapping[str, str]) -> str:
    """RSA2 (SHA256withRSA) over :func:`icbc_sign_string`, base64."""
    message = icbc_sign_string(path, params).encode()
    return base64.b64encode(rsa_sign(private_pem, message, hashes.SHA256())).decode()


def icbc_verify_request(public_pem: str, path: str, params: Mapping[str, str]) -> bool:
    return _b64_verify(public_pem, icbc_sign_string(path, params).encode(), params.get("sign", ""))


def icbc_sign_gateway(private_pem: str, text: str) -> str:
    """The gateway's RSA (SHA1withRSA) signature of a response body or notification, base64."""
    return base64.b64encode(rsa_sign(private_pem, text.encode(), hashes.SHA1())).decode()


def icbc_verify_gateway(public_pem: str, text: str, signature: str) -> bool:
    return _b64_verify(public_pem, text.encode(), signature, hashes.SHA1())


def icbc_sign_reply(private_pem: str, text: str) -> str:
    """The merchant's RSA2 signature of its answer to a notification (base64)."""
    return base64.b64encode(rsa_sign(private_pem, text.encode(), hashes.SHA256())).decode()


def icbc_verify_reply(public_pem: str, text: str, signature: str) -> bool:
    return _b64_verify(public_pem, text.encode(), signature)


def _b64_verify(key: str, message: bytes, signature: str, algorithm: Hash | None = None) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(raw) and rsa_verify(key, message, raw, algorithm or hashes.SHA256())


# --- CCB -------------------------------------------------------------------------------------

#: the 聚合支付 (二维码) order's fields, in the order the MAC takes them
CCB_ORDER_FIELDS = (
    "MERCHANTID",
    "POSID",
    "BRANCHID",
    "ORDERID",
    "PAYMENT",
    "CURCODE",
    "TXCODE",
    "REMARK1",
    "REMARK2",
    "RETURNTYPE",
    "TIMEOUT",
)
#: the bank's server notification's signed fields, in order
CCB_NOTIFY_FIELDS = (
    "POSID",
    "BRANCHID",
    "ORDERID",
    "PAYMENT",
    "CURCODE",
    "REMARK1",
    "REMARK2",
    "ACC_TYPE",
    "SUCCESS",
    "TYPE",
    "REFERER",
    "CLIENTIP",
    "ACCDATE",
)


def ccb_join(fields: Iterable[str], values: Mapping[str, str]) -> str:
    return "&".join(f"{name}={values.get(name, '')}" for name in fields)


def ccb_pub_tail(public_hex: str) -> str:
    """PUB: the last 30 characters of the merchant's CCB public key (hex)."""
    return public_hex.strip()[-30:]


def ccb_mac(values: Mapping[str, str], public_hex: str) -> str:
    source = ccb_join(CCB_ORDER_FIELDS, values) + "&PUB=" + ccb_pub_tail(public_hex)
    return hashlib.md5(source.encode("utf-8"), usedforsecurity=False).hexdigest()


def ccb_sign_notify(private_pem: str, values: Mapping[str, str]) -> str:
    message = ccb_join(CCB_NOTIFY_FIELDS, values).encode("utf-8")
    return rsa_sign(private_pem, message, hashes.MD5()).hex()


def ccb_verify_notify(public_hex: str, values: Mapping[str, str]) -> bool:
    try:
        signature = bytes.fromhex(values.get("SIGN", ""))
    except ValueError:
        return False
    message = ccb_join(CCB_NOTIFY_FIELDS, values).encode("utf-8")
    return bool(signature) and rsa_verify(public_hex, message, signature, hashes.MD5())


# --- keys for the simulators and the demo ---------------------------------------------------


def new_key_pair(bits: int = 2048) -> tuple[str, str]:
    """(private PEM, public PEM) made fresh: the demo's and the tests' keys are never in code."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def public_hex(public_pem: str) -> str:
    """A public key as CCB hands it out: hex of the DER SubjectPublicKeyInfo."""
    der = _public(public_pem).public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return der.hex()
