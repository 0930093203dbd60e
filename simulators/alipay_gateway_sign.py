"""The simulated Alipay gateway's own RSA2 keys and signatures (written apart from the cloud's
adapter, so that a round trip checks one reading of Alipay's rules against another).

Alipay's rules: a request is signed over every parameter but ``sign`` (empty ones left out),
sorted, ``k=v`` joined by ``&``; an answer's signature covers the exact text of its
``<method>_response`` node; a notification is signed over every field but ``sign`` and
``sign_type``. RSA2 is SHA256withRSA with PKCS#1 v1.5 padding, base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def new_key() -> rsa.RSAPrivateKey:
    """A fresh 2048-bit key (the gateway's, or a demo app's): demo keys are never stored."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def bare_public(key: rsa.RSAPublicKey) -> str:
    """One-line base64 SubjectPublicKeyInfo, as Alipay's console shows 支付宝公钥."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode()


def bare_private(key: rsa.RSAPrivateKey) -> str:
    """One-line base64 PKCS#8, as Alipay's key tool writes 应用私钥."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return base64.b64encode(der).decode()


def public_from_bare(text: str) -> rsa.RSAPublicKey:
    key = serialization.load_der_public_key(base64.b64decode(text))
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def unsigned(params: Mapping[str, str], leave_out: tuple[str, ...]) -> str:
    return "&".join(f"{k}={params[k]}" for k in sorted(params) if k not in leave_out and params[k])


def sign(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def signed_answer(key: rsa.RSAPrivateKey | None, node_name: str, node: dict[str, Any]) -> str:
    """``{"<node_name>": {...}, "sign": "..."}`` with the node's text signed as written
    (``key`` None: an unsigned answer, as Alipay gives some refusals)."""
    text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
    if key is None:
        return f'{{"{node_name}":{text}}}'
    return f'{{"{node_name}":{text},"sign":"{sign(key, text)}"}}'
