"""The provincial platform's HTTP API (docs/haocha.md "Wire format"), signed with HMAC-SHA256.

Every request carries ``X-App-Id``, ``X-Timestamp`` (Unix seconds), ``X-Nonce`` (fresh random
hex) and ``X-Signature`` = hex HMAC-SHA256(secret, ``METHOD\\nPATH\\nAPP_ID\\nTS\\nNONCE\\n`` +
body). The client never raises for the platform's behaviour: every answer, timeout or reset
becomes an :data:`~cloud.hall.haocha.platform.Outcome`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

import httpx

from cloud.hall.haocha.platform import Accepted, Outcome, Refused, Submission, Unavailable

RATINGS_PATH = "/api/evaluation/v1/ratings"


def sign(secret: str, method: str, path: str, app_id: str, ts: str, nonce: str, body: bytes) -> str:
    head = "\n".join((method.upper(), path, app_id, ts, nonce)) + "\n"
    return hmac.new(secret.encode(), head.encode() + body, hashlib.sha256).hexdigest()


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds; a date is ignored)."""
    try:
        seconds = float(value) if value is not None else -1.0
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class HttpHaochaPlatform:
    """Implements :class:`~cloud.hall.haocha.platform.HaochaPlatform` over ``http``."""

    def __init__(self, url: str, app_id: str, secret: str, timeout_s: float = 10.0) -> None:
        self._url = url.rstrip("/")
        self._app_id = app_id
        self._secret = secret
        self._timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    @property
    def _http(self) -> httpx.AsyncClient:
        """Opened on first use, inside the loop that uses it; closed by :meth:`aclose`."""
        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        ts, nonce = str(int(time.time())), secrets.token_hex(16)
        return {
            "X-App-Id": self._app_id,
            "X-Timestamp": ts,
            "X-Nonce": nonce,
            "X-Signature": sign(self._secret, method, path, self._app_id, ts, nonce, body),
            "Content-Type": "application/json",
        }

    async def submit(self, rating: Submission) -> Outcome:
        body = json.dumps(rating.wire(), ensure_ascii=False).encode()
        try:
            r = await self._http.post(
                self._url + RATINGS_PATH,
                content=body,
                headers=self.headers("POST", RATINGS_PATH, body),
                timeout=self._timeout_s,
            )
        except httpx.TimeoutException:
            return Unavailable(f"the platform did not answer within {self._timeout_s:g} s")
        except httpx.HTTPError as err:
            return Unavailable(f"the platform is unreachable ({type(err).__name__})")
        return _outcome(r)

    async def lookup(self, source_id: str) -> dict[str, Any] | None:
        """The platform's record of one of our ratings (tests, an operator's check)."""
        path = f"{RATINGS_PATH}?sourceId={source_id}"
        r = await self._http.get(
            self._url + path, headers=self.headers("GET", path, b""), timeout=self._timeout_s
        )
        if r.status_code == 404:
            return None
        r.raise_for_status()
        found: dict[str, Any] = r.json()["rating"]
        return found


def _outcome(r: httpx.Response) -> Outcome:
    try:
        answer = r.json()
    except ValueError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    code, message = str(answer.get("code", "")), str(answer.get("message", r.text[:200]))
    if r.status_code == 200 and answer.get("ratingId"):
        return Accepted(str(answer["ratingId"]), bool(answer.get("duplicate")))
    if r.status_code in (408, 425, 429) or r.status_code >= 500:
        wait = retry_after(r.headers.get("retry-after"))
        return Unavailable(f"the platform answered HTTP {r.status_code} {code}".strip(), wait)
    if r.status_code in (401, 403):
        why = f"the platform refused our credentials: HTTP {r.status_code} {code}: {message}"
        return Unavailable(why + " (check KFLEET_HAOCHA_APP_ID / _SECRET and the clock)", auth=True)
    if 400 <= r.status_code < 500 and code:
        return Refused(code, message)
    return Unavailable(f"unexpected answer HTTP {r.status_code}: {r.text[:200]}")
