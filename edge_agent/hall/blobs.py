"""The blobs hall content names (floor plan, staff photos, the kiosk's service-guide
catalogue), cached under ``content/blobs/``.

A blob is fetched from the cloud (``GET {cloud url}/api/v1/blobs/{sha256}``) with the device's
own credentials (``edge_agent.jobs.device_auth``), bounded by the size the body announces,
hashed, and written (atomically, named by its sha256) only if it is the blob the body names:
a wrong or truncated image never reaches a screen. A fetch that fails is retried with a
doubling delay (``RETRY_MIN_S`` .. ``RETRY_MAX_S``) until it succeeds or is no longer wanted.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import httpx

from edge_agent.errors import AgentError
from edge_agent.hall.files import atomic_write
from edge_agent.jobs.device_auth import basic_for

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 30.0
RETRY_MIN_S, RETRY_MAX_S = 0.5, 60.0


class WantedBlob(Protocol):
    """What names a blob (``protocols.hall.BlobRef``, ``protocols.guide.CatalogueRef``)."""

    @property
    def sha256(self) -> str: ...

    @property
    def size(self) -> int: ...


class BlobFetchFailed(AgentError):
    """An image could not be fetched, or is not the image the content names."""


class BlobCache:
    """Verified blobs on disk, and the fetches of the ones wanted but not here yet."""

    def __init__(self, directory: Path, cloud_url: str | None, on_ready: Callable[[], None]):
        self.directory = directory
        self._cloud_url = cloud_url.rstrip("/") if cloud_url else None
        self._on_ready = on_ready
        self._wanted: dict[str, WantedBlob] = {}
        self._retry: dict[str, tuple[float, float]] = {}  # sha → (next try, delay)
        self._wake = asyncio.Event()
        self.fetched = 0
        self.failures = 0
        self._attempted = asyncio.Event()

    def path(self, sha256: str) -> Path:
        return self.directory / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def want(self, refs: list[WantedBlob]) -> None:
        """Fetch these (those not cached yet) in the background."""
        for ref in refs:
            if not self.has(ref.sha256) and ref.sha256 not in self._wanted:
                self._wanted[ref.sha256] = ref
        self._wake.set()

    async def run(self) -> None:
        """Fetch what is wanted, retrying failures with backoff; until cancelled."""
        while True:
            self._wake.clear()
            now = time.monotonic()
            for sha, ref in list(self._wanted.items()):
                if self._retry.get(sha, (0.0, 0.0))[0] <= now:
                    await self._try(ref)
            due = [at for at, _ in (self._retry[s] for s in self._wanted if s in self._retry)]
            timeout = max(0.0, min(due) - time.monotonic()) if due else None
            try:
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
            except TimeoutError:
                pass  # a retry is due

    async def wait_attempt(self) -> None:
        """Until the next fetch attempt has ended (for tests and health checks)."""
        await self._attempted.wait()

    async def _try(self, ref: WantedBlob) -> None:
        try:
            await self._fetch_and_keep(ref)
        finally:
            self._attempted.set()
            self._attempted = asyncio.Event()

    async def _fetch_and_keep(self, ref: WantedBlob) -> None:
        try:
            data = await self.fetch(ref)
        except BlobFetchFailed as err:
            self._backoff(ref, str(err))
            return
        except Exception as err:  # a bug here must not stop the agent: retried like a failure
            log.exception("hall image %s…: unexpected error", ref.sha256[:12])
            self._backoff(ref, f"unexpected error {err!r}")
            return
        try:
            atomic_write(self.path(ref.sha256), data)
        except OSError as err:  # a full or failing disk: keep showing what is there
            self._backoff(ref, f"image {ref.sha256[:12]}… could not be cached: {err}")
            return
        self._wanted.pop(ref.sha256, None)
        self._retry.pop(ref.sha256, None)
        self.fetched += 1
        self._on_ready()

    def _backoff(self, ref: WantedBlob, why: str) -> None:
        self.failures += 1
        _, delay = self._retry.get(ref.sha256, (0.0, RETRY_MIN_S / 2))
        delay = min(RETRY_MAX_S, delay * 2)
        self._retry[ref.sha256] = (time.monotonic() + delay, delay)
        log.warning("hall image: %s; trying again in %.1f s", why, delay)

    async def fetch(self, ref: WantedBlob) -> bytes:
        """The blob's bytes, checked against its size and sha256."""
        if self._cloud_url is None:
            raise BlobFetchFailed(
                f"image {ref.sha256[:12]}… cannot be fetched: the agent config has no [cloud] "
                "url; add it so the screens can show the hall's images"
            )
        url = f"{self._cloud_url}/api/v1/blobs/{ref.sha256}"
        try:
            return _checked(ref, await _get(url, ref.size))
        except httpx.HTTPError as err:
            raise BlobFetchFailed(f"image {ref.sha256[:12]}… fetch failed: {err!r}") from err


async def _get(url: str, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    auth = basic_for(url) or httpx.USE_CLIENT_DEFAULT
    async with (
        httpx.AsyncClient(timeout=FETCH_TIMEOUT_S) as client,
        client.stream("GET", url, auth=auth) as r,
    ):
        if r.status_code != 200:
            await r.aread()
            raise BlobFetchFailed(f"the cloud refused {url} (HTTP {r.status_code}): {r.text[:200]}")
        async for chunk in r.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise BlobFetchFailed(f"{url} is larger than the {max_bytes} bytes announced")
            chunks.append(chunk)
    return b"".join(chunks)


def _checked(ref: WantedBlob, data: bytes) -> bytes:
    digest = hashlib.sha256(data).hexdigest()
    if digest != ref.sha256:
        raise BlobFetchFailed(
            f"image {ref.sha256[:12]}… arrived as {len(data)} bytes hashing to {digest[:12]}…: "
            "damaged on the way or not the image the content names; the screen keeps the "
            "previous one"
        )
    return data
