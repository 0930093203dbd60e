"""Stream health from Janus's admin API: every few seconds, ``handle_info`` of each publisher
handle gives the bytes, packets and RTCP losses Janus received; the differences between two
readings are the bitrate and the loss. Janus counts no frames, so ``fps`` is 0 (unknown) with
this backend (docs/media-janus.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from cloud.media.janus_client import JanusClient
from cloud.settings_janus import JanusSettings

log = logging.getLogger(__name__)

#: seconds between two readings of every publisher's counters
PERIOD_S = 2.0


@dataclass(frozen=True, slots=True)
class Figures:
    """One publisher's figures over the last reading period."""

    fps: float = 0.0
    bitrate_kbps: float = 0.0
    packet_loss_pct: float = 0.0
    last_media_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Counters:
    at: float
    bytes: int
    packets: int
    lost: int


def counters(info: dict[str, Any]) -> tuple[int, int, int]:
    """(bytes, packets, lost) received over every medium of a ``handle_info`` answer."""
    media = info.get("webrtc", {}).get("media", {})
    total_bytes = total_packets = total_lost = 0
    for m in media.values() if isinstance(media, dict) else []:
        inbound = m.get("stats", {}).get("in", {})
        total_bytes += int(inbound.get("bytes", 0))
        total_packets += int(inbound.get("packets", 0))
        total_lost += int(m.get("rtcp", {}).get("main", {}).get("lost", 0))
    return total_bytes, total_packets, total_lost


class StatsReader:
    """Polls the admin API in the background; :meth:`figures` answers from the last reading."""

    def __init__(
        self, settings: JanusSettings, client: JanusClient, handles: Callable[[], list[int]]
    ) -> None:
        self._url = settings.janus_admin_url
        self._secret = settings.janus_admin_secret.get_secret_value()
        self._timeout = settings.janus_timeout_s
        self._client = client
        self._handles = handles
        self._last: dict[int, _Counters] = {}
        self._figures: dict[int, Figures] = {}
        self._task: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    def start(self) -> None:
        if self._url and (self._task is None or self._task.done()):
            self._http = httpx.AsyncClient(timeout=self._timeout)
            self._task = asyncio.create_task(self._run(), name="janus-stats")

    def figures(self, handle: int) -> Figures:
        return self._figures.get(handle, Figures())

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._http is not None:
            await self._http.aclose()

    async def read_once(self) -> None:
        """Read every publisher's counters now (the loop's step; tests call it directly)."""
        live = set(self._handles())
        for gone in set(self._last) - live:
            self._last.pop(gone, None)
            self._figures.pop(gone, None)
        for handle in live:
            info = await self._handle_info(handle)
            if info is not None:
                self._update(handle, *counters(info))

    async def _run(self) -> None:
        while True:
            try:
                await self.read_once()
            except Exception:  # one bad reading must not end health for good
                log.exception("reading Janus stream counters failed")
            await asyncio.sleep(PERIOD_S)

    async def _handle_info(self, handle: int) -> dict[str, Any] | None:
        session = self._client.session_id
        if session is None or self._http is None:
            return None
        body = {
            "janus": "handle_info",
            "session_id": session,
            "handle_id": handle,
            "transaction": secrets.token_hex(8),
            "admin_secret": self._secret,
        }
        try:
            reply = (await self._http.post(self._url, json=body)).json()
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("Janus admin API unreachable at %s: %r", self._url, exc)
            return None
        info = reply.get("info") if isinstance(reply, dict) else None
        return info if isinstance(info, dict) else None

    def _update(self, handle: int, total_bytes: int, packets: int, lost: int) -> None:
        now = asyncio.get_running_loop().time()
        before = self._last.get(handle)
        self._last[handle] = _Counters(now, total_bytes, packets, lost)
        if before is None or now <= before.at:
            return
        span = now - before.at
        got_bytes = max(0, total_bytes - before.bytes)
        got_packets = max(0, packets - before.packets)
        lost_now = max(0, lost - before.lost)
        previous = self._figures.get(handle, Figures())
        self._figures[handle] = Figures(
            fps=0.0,
            bitrate_kbps=round(got_bytes * 8 / 1000 / span, 1),
            packet_loss_pct=round(100 * lost_now / max(1, got_packets + lost_now), 2),
            last_media_at=datetime.now(UTC) if got_packets else previous.last_media_at,
        )
