"""Signing in to a department (an OAuth client-credentials token, or an HMAC signature on every
request) and keeping the citizen's data in a department's query string out of httpx's log."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time

import httpx

from cloud.settings_kiosk import DepartmentEndpoint


class BadShape(Exception):
    """The answer is not the department's documented shape."""


class TokenAuth:
    """OAuth2 client credentials at ``/oauth/token``; the token is kept until shortly before
    it expires, and dropped when the department refuses it."""

    def __init__(self, endpoint: DepartmentEndpoint) -> None:
        self._endpoint = endpoint
        self._token = ""
        self._expires = 0.0
        #: concurrent queries at a cold start sign in once, not once each
        self._lock = asyncio.Lock()

    def forget(self) -> None:
        self._token = ""

    async def headers(
        self, client: httpx.AsyncClient, _m: str, _t: str, _b: bytes
    ) -> dict[str, str]:
        if not self._token or self._expires <= time.monotonic():
            async with self._lock:
                if not self._token or self._expires <= time.monotonic():
                    await self._fetch(client)
        return {"Authorization": f"Bearer {self._token}"}

    async def _fetch(self, client: httpx.AsyncClient) -> None:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._endpoint.app_id,
            "client_secret": self._endpoint.secret.get_secret_value(),
        }
        r = await client.post(self._endpoint.url.rstrip("/") + "/oauth/token", data=form)
        if r.status_code in (400, 401, 403):
            raise AuthRefused(f"token refused: HTTP {r.status_code} {r.text[:100]}")
        if r.status_code != 200:
            raise NoAnswer(f"token endpoint answered HTTP {r.status_code}", r)
        try:
            answer = r.json()
            token, ttl = str(answer["access_token"]), float(answer.get("expires_in", 600))
        except (ValueError, KeyError, TypeError) as err:
            raise BadShape(f"token answer: {type(err).__name__}") from err
        self._token, self._expires = token, time.monotonic() + max(0.0, ttl - 30)


class HmacAuth:
    """Signed requests: ``<prefix>App-Id``, ``Timestamp``, ``Nonce`` and ``Signature`` =
    HMAC-SHA256(secret, ``METHOD\\nTARGET\\nAPP_ID\\nTS\\nNONCE\\n`` + body), hex or base64."""

    def __init__(self, endpoint: DepartmentEndpoint, prefix: str, digest: str) -> None:
        self._endpoint, self._prefix, self._digest = endpoint, prefix, digest

    def forget(self) -> None:
        return None

    async def headers(
        self, _c: httpx.AsyncClient, method: str, target: str, body: bytes
    ) -> dict[str, str]:
        app_id, ts, nonce = self._endpoint.app_id, str(int(time.time())), secrets.token_hex(16)
        head = ("\n".join((method, target, app_id, ts, nonce)) + "\n").encode()
        secret = self._endpoint.secret.get_secret_value().encode()
        mac = hmac.new(secret, head + body, hashlib.sha256)
        sig = mac.hexdigest() if self._digest == "hex" else base64.b64encode(mac.digest()).decode()
        p = self._prefix
        return {p + "App-Id": app_id, p + "Timestamp": ts, p + "Nonce": nonce, p + "Signature": sig}


class AuthRefused(Exception):
    """The department refused our client id and secret at sign-in."""


class NoAnswer(Exception):
    """No usable answer (a 5xx, or a sign-in that failed); ``response`` when there was one."""

    def __init__(self, message: str, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


class _RedactDepartmentUrls(logging.Filter):
    """httpx logs every request's URL at INFO; a department's query string carries the
    citizen's ID number and name, so its query string is dropped from that line."""

    def __init__(self) -> None:
        super().__init__()
        self.origins: set[tuple[str, str, int | None]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], httpx.URL):
            url = args[1]
            if url.query and _origin(url) in self.origins:
                record.args = (args[0], url.copy_with(query=b"redacted"), *args[2:])
        return True


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return (url.scheme, url.host, url.port)


_REDACT = _RedactDepartmentUrls()
logging.getLogger("httpx").addFilter(_REDACT)


def redact_query_strings_of(base_url: str) -> None:
    """From now on, httpx's request lines to this department show no query string."""
    _REDACT.origins.add(_origin(httpx.URL(base_url)))
