"""HTTP calls to the cloud with every transport failure named: unreachable, TLS name
mismatch, untrusted certificate, certificate dates against a wrong clock.

Synchronous on purpose: the provisioning commands do one call at a time, in order.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from provisioning.enroll_errors import BadInput, CloudUnreachable, ProvisionError
from provisioning.tls_diag import diagnose, find_verify_error

TIMEOUT_S = 20.0


def check_cloud_url(url: str) -> str:
    """``url`` without a trailing slash, or :class:`BadInput`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"the cloud address {url!r} is not an http:// or https:// URL; give it as the "
            "console shows it, e.g. --cloud https://kfleet.example.gov.cn"
        )
    return url.rstrip("/")


def tls_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system's CAs, or only ``ca_file`` (the fleet's private CA)."""
    try:
        return ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, ssl.SSLError) as err:
        raise BadInput(
            f"cannot use the CA file {ca_file}: {err}; give the PEM file of the CA that "
            "signed the cloud's certificate"
        ) from err


def request(
    method: str,
    url: str,
    *,
    ca_file: Path | None = None,
    json: Any = None,
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """One request; any transport failure becomes a :class:`ProvisionError` with its cause."""
    try:
        with httpx.Client(verify=tls_context(ca_file), timeout=TIMEOUT_S) as client:
            return client.request(method, url, json=json, auth=auth, headers=headers)
    except httpx.TransportError as err:
        raise transport_error(err, url) from err


def transport_error(err: httpx.TransportError, url: str) -> ProvisionError:
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    verify = find_verify_error(err)
    if verify is not None:
        return diagnose(verify, host, port, "cloud")
    if isinstance(err, httpx.ConnectError | httpx.ConnectTimeout):
        return CloudUnreachable(
            f"cannot reach the cloud at {parts.scheme}://{host}:{port} ({_reason(err)}); "
            "check the address, this device's network (cable, Wi-Fi, proxy, firewall) and "
            "that the cloud is running, then run the command again (nothing was sent)"
        )
    return CloudUnreachable(
        f"the cloud at {parts.scheme}://{host}:{port} did not answer ({_reason(err)}): the "
        "request was sent, so the cloud may have carried it out; check the network, then "
        "see `kfleet provision status` or the console before trying again"
    )


def _reason(err: BaseException) -> str:
    cause: BaseException | None = err
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    return str(err) or type(err).__name__


def error_code(r: httpx.Response) -> tuple[str, str]:
    """``(code, message)`` from the cloud's error body; the status's name if not JSON."""
    try:
        body = r.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return str(body.get("code") or r.status_code), str(body.get("message") or "")
    return str(r.status_code), r.text[:200]
