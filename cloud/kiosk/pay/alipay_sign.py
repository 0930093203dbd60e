"""Alipay open-platform signatures (RSA2 = SHA256withRSA, PKCS#1 v1.5, base64), as its
"签名与验签" documentation says.

- A request: every parameter but ``sign``, empty values left out, sorted by key (ASCII),
  joined as ``k=v`` with ``&``, the values raw (not URL-encoded); signed with our app's
  private key.
- A synchronous answer: the exact text of the ``<method>_response`` JSON node as it stands in
  the body (not a re-serialisation), verified with Alipay's public key against the ``sign``
  beside it.
- An asynchronous notification: every parameter but ``sign`` and ``sign_type``, empty values
  left out, sorted, joined like a request (the values URL-decoded), verified with Alipay's key.

Keys come as PEM or as the bare base64 the Alipay console shows (PKCS#8 or PKCS#1 private,
SubjectPublicKeyInfo public).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_PEM = re.compile(r"-----BEGIN [A-Z ]+-----")


def load_private_key(text: str) -> rsa.RSAPrivateKey:
    """Our app's private key: PEM, or bare base64 of PKCS#8 / PKCS#1 DER."""
    text = text.strip()
    if _PEM.match(text):
        key = serialization.load_pem_private_key(text.encode(), password=None)
    else:
        key = serialization.load_der_private_key(_b64(text), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the app private key is not an RSA key")
    return key


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """Alipay's public key: PEM, or the bare base64 of its SubjectPublicKeyInfo."""
    text = text.strip()
    if _PEM.match(text):
        key = serialization.load_pem_public_key(text.encode())
    else:
        key = serialization.load_der_public_key(_b64(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the Alipay public key is not an RSA key")
    return key


def bare_private_key(key: rsa.RSAPrivateKey) -> str:
    """One-line base64 PKCS#8, the form the Alipay console and our settings take."""
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode()


def bare_public_key(key: rsa.RSAPublicKey) -> str:
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def sign_content(params: Mapping[str, str], leave_out: Iterable[str] = ("sign",)) -> str:
    """The string to sign: sorted ``k=v`` pairs joined with ``&``, empty values left out."""
    skip = set(leave_out)
    pairs = sorted((k, v) for k, v in params.items() if k not in skip and v != "")
    return "&".join(f"{k}={v}" for k, v in pairs)


def notify_content(params: Mapping[str, str]) -> str:
    """A notification's string to verify: ``sign`` and ``sign_type`` are left out."""
    return sign_content(params, ("sign", "sign_type"))


def rsa2_sign(key: rsa.RSAPrivateKey, content: str, charset: str = "utf-8") -> str:
    raw = key.sign(content.encode(charset), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode()


def rsa2_verify(key: rsa.RSAPublicKey, content: str, sign: str, charset: str = "utf-8") -> bool:
    try:
        raw = base64.b64decode(sign, validate=True)
        key.verify(raw, content.encode(charset), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def response_node(raw: str, node: str) -> str | None:
    """The exact text of ``node``'s JSON object inside an answer body, or None.

    The JSON decoder finds where the object ends, so braces inside strings do not fool it."""
    at = re.search(r'"' + re.escape(node) + r'"\s*:\s*', raw)
    if at is None:
        return None
    try:
        value, end = json.JSONDecoder().raw_decode(raw, at.end())
    except ValueError:
        return None
    return raw[at.end() : end] if isinstance(value, dict) else None


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except binascii.Error as err:
        raise ValueError("the key is neither PEM nor base64") from err
