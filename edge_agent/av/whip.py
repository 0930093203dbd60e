"""The WHIP client (RFC 9725): POST an SDP offer, get ``201`` + ``Location`` + the SDP answer;
DELETE the ``Location`` to leave. Every request is bounded in time; every refusal becomes a
:class:`StreamError` whose ``reason`` is the short English sentence a ``stream`` event and a
failed call carry (``whip endpoint answered 401: ...``)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

log = logging.getLogger(__name__)

SDP = "application/sdp"
#: the part of an error body kept in a reason (a reason is at most 200 characters)
DETAIL_CHARS = 120


class StreamError(Exception):
    """A stream could not be started or kept up; ``reason`` says why, in a few words."""

    def __init__(self, reason: str, *, retry: bool) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        #: whether trying again later may help (an unreachable endpoint) or not (a bad token)
        self.retry = retry


class WhipRefused(StreamError):
    """The WHIP endpoint answered, but not ``201`` with an SDP answer."""

    def __init__(self, status: int, detail: str) -> None:
        why = f"whip endpoint answered {status}" + (f": {detail}" if detail else "")
        super().__init__(why, retry=status in RETRYABLE or status >= 500)
        self.status = status


#: statuses that may heal by themselves (the cloud restarting, a stream not known yet)
RETRYABLE = frozenset({404, 408, 425, 429})


@dataclass(frozen=True, slots=True)
class WhipSession:
    """One accepted WHIP session: where to DELETE it, and the endpoint's SDP answer."""

    url: str
    answer: str


class WhipClient:
    """WHIP over httpx, one short-lived client per request (sessions are minutes apart)."""

    def __init__(self, timeout_s: float, ca_file: Path | None = None) -> None:
        self.timeout_s = timeout_s
        self._verify: str | bool = str(ca_file) if ca_file is not None else True

    async def publish(self, url: str, token: str, offer: str) -> WhipSession:
        """POST ``offer`` to ``url``. Raises :class:`StreamError`."""
        headers = {"Content-Type": SDP, "Accept": SDP, "Authorization": f"Bearer {token}"}
        try:
            async with self._client() as client:
                r = await client.post(url, content=offer.encode(), headers=headers)
        except httpx.HTTPError as err:
            raise StreamError(f"whip endpoint unreachable: {_why(err)}", retry=True) from err
        if r.status_code != 201:
            raise WhipRefused(r.status_code, _detail(r))
        location = r.headers.get("Location", "")
        answer = r.text
        if not location or not answer.startswith("v=0"):
            missing = "no Location header" if not location else "its body is not an SDP answer"
            raise StreamError(f"whip endpoint answered 201 but {missing}", retry=True)
        session_url = urljoin(url, location)
        if urlsplit(session_url).netloc != urlsplit(url).netloc:
            raise StreamError("whip endpoint's Location points to another host", retry=False)
        return WhipSession(session_url, answer)

    async def leave(self, session_url: str, token: str) -> None:
        """DELETE the session; a failure is logged, never raised (the endpoint cleans up a
        session whose peer went away by itself)."""
        try:
            async with self._client() as client:
                r = await client.delete(session_url, headers={"Authorization": f"Bearer {token}"})
        except httpx.HTTPError as err:
            log.info("whip session %s: DELETE failed: %s", session_url, _why(err))
            return
        if r.status_code not in (200, 204, 404):
            log.info("whip session %s: DELETE answered %s", session_url, r.status_code)

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(timeout=self.timeout_s, verify=self._verify)


def _why(err: httpx.HTTPError) -> str:
    if isinstance(err, httpx.TimeoutException):
        return "timed out"
    return str(err) or type(err).__name__


def _detail(r: httpx.Response) -> str:
    """The error body's ``message`` (our API's ErrorBody), else its first line of text."""
    text = r.text.strip()
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        text = str(body.get("message") or body.get("detail") or "")
    line = text.splitlines()[0] if text else ""
    return "".join(c for c in line if c.isprintable())[:DETAIL_CHARS]
