"""Janus's HTTP API (the plain REST transport): one Janus session, its handles, their events.

Janus answers a plugin request with ``ack`` and delivers the result later as an event of the
session; events arrive on a long-poll ``GET`` of the session (which also keeps it alive). One
task polls and hands each event to the request waiting on its transaction, or to the
listener (``webrtcup``, ``media``, ``hangup``, ``detached``: what a peer connection did).
Every request has a timeout; Janus that does not answer is :class:`BackendUnavailable`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

import httpx

from cloud.media.backend import BackendUnavailable

log = logging.getLogger(__name__)

JsonDict = dict[str, Any]
#: (handle id, event) for the events no request waits for
EventListener = Callable[[int, JsonDict], None]

#: how long one long-poll may take (Janus answers a keepalive after 30 s by itself)
POLL_S = 35.0


class JanusError(Exception):
    """Janus (or its plugin) refused a request: its code and reason."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"janus error {code}: {reason}")
        self.code = code
        self.reason = reason


def _plugin_error(event: JsonDict) -> JanusError | None:
    if event.get("janus") == "error":
        err = event.get("error", {})
        return JanusError(int(err.get("code", 0)), str(err.get("reason", "")))
    data = event.get("plugindata", {}).get("data", {})
    if "error_code" in data:
        return JanusError(int(data["error_code"]), str(data.get("error", "")))
    return None


class JanusClient:
    """A Janus session over HTTP with its event poller; ``start`` before use."""

    def __init__(
        self,
        url: str,
        api_secret: str,
        *,
        timeout_s: float,
        listener: EventListener,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self._url = url.rstrip("/")
        self._secret = api_secret
        self._timeout = timeout_s
        self._listener = listener
        self._http = http or httpx.AsyncClient(timeout=httpx.Timeout(timeout_s + POLL_S))
        self._waiting: dict[str, asyncio.Future[JsonDict]] = {}
        self._session: int | None = None
        #: set while there is a session to poll (cleared when Janus forgets it)
        self._has_session = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None

    @property
    def session_id(self) -> int | None:
        return self._session

    async def start(self) -> None:
        """Create the Janus session (again, after Janus lost it) and poll its events."""
        reply = await self._post(self._url, {"janus": "create"})
        self._session = int(reply["data"]["id"])
        self._has_session.set()
        if self._poller is None or self._poller.done():
            self._poller = asyncio.create_task(self._poll(), name="janus-events")

    async def close(self) -> None:
        """Destroy the session (Janus detaches every handle, ending their peer connections)."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._session is not None:
            with contextlib.suppress(BackendUnavailable, JanusError):
                await self._post(f"{self._url}/{self._session}", {"janus": "destroy"})
            self._session = None
            self._has_session.clear()
        for fut in self._waiting.values():
            fut.cancel()
        await self._http.aclose()

    async def attach(self, plugin: str) -> int:
        reply = await self._post(self._session_url(), {"janus": "attach", "plugin": plugin})
        return int(reply["data"]["id"])

    async def detach(self, handle: int) -> None:
        """Detach a handle; one Janus already forgot is not an error (the goal is reached)."""
        with contextlib.suppress(JanusError):
            await self._post(f"{self._session_url()}/{handle}", {"janus": "detach"})

    async def request(self, handle: int, body: JsonDict) -> JsonDict:
        """A synchronous plugin request (``create``, ``exists``, ``switch``...): its data."""
        reply = await self._post(
            f"{self._session_url()}/{handle}", {"janus": "message", "body": body}
        )
        if (err := _plugin_error(reply)) is not None:
            raise err
        data: JsonDict = reply.get("plugindata", {}).get("data", {})
        return data

    async def message(self, handle: int, body: JsonDict, jsep: JsonDict | None = None) -> JsonDict:
        """An asynchronous plugin request: the event that answers it (``plugindata`` +
        ``jsep``), after Janus's ``ack``."""
        tx = secrets.token_hex(8)
        fut: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._waiting[tx] = fut
        payload: JsonDict = {"janus": "message", "body": body}
        if jsep is not None:
            payload["jsep"] = jsep
        try:
            await self._post(f"{self._session_url()}/{handle}", payload, tx)
            try:
                event = await asyncio.wait_for(fut, self._timeout)
            except TimeoutError:
                raise BackendUnavailable(
                    f"Janus did not answer {body.get('request')!r} within {self._timeout} s"
                ) from None
        finally:
            self._waiting.pop(tx, None)
        if (err := _plugin_error(event)) is not None:
            raise err
        return event

    def _session_url(self) -> str:
        if self._session is None:
            raise BackendUnavailable("no Janus session (the backend is not started or closed)")
        return f"{self._url}/{self._session}"

    async def _post(self, url: str, payload: JsonDict, tx: str | None = None) -> JsonDict:
        body = {**payload, "transaction": tx or secrets.token_hex(8), "apisecret": self._secret}
        try:
            resp = await self._http.post(url, json=body, timeout=self._timeout)
            reply: JsonDict = resp.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise BackendUnavailable(f"Janus at {self._url} unreachable: {exc!r}") from exc
        if reply.get("janus") == "error":
            err = reply.get("error", {})
            raise JanusError(int(err.get("code", 0)), str(err.get("reason", "")))
        return reply

    async def _poll(self) -> None:
        backoff = 0.5
        while True:
            await self._has_session.wait()
            try:
                resp = await self._http.get(
                    self._session_url(),
                    params={"maxev": 20, "apisecret": self._secret},
                    timeout=POLL_S,
                )
                if resp.status_code == 404:  # Janus answers an unknown session's poll so
                    self._lost()
                    continue
                events = resp.json()
                backoff = 0.5
            except (httpx.HTTPError, ValueError, BackendUnavailable) as exc:
                log.warning("janus event poll failed (%r); retrying in %.1f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            for event in events if isinstance(events, list) else [events]:
                self._dispatch(event)

    def _lost(self) -> None:
        log.error("Janus forgot our session (restarted, or timed out): its streams ended")
        self._session = None
        self._has_session.clear()
        self._listener(0, {"janus": "session_lost"})

    def _dispatch(self, event: JsonDict) -> None:
        kind = event.get("janus")
        if kind == "keepalive":
            return
        if kind == "error" and event.get("error", {}).get("code") == 458:  # no such session
            self._lost()
            return
        tx = event.get("transaction")
        fut = self._waiting.get(tx) if isinstance(tx, str) else None
        if fut is not None and not fut.done() and kind in ("event", "error"):
            fut.set_result(event)
            return
        sender = event.get("sender")
        if isinstance(sender, int):
            self._listener(sender, event)
