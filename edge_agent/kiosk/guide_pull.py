"""Asking the cloud for the catalogue when the kiosk holds none (the retained announcement was
missed or lost, a fresh kiosk's broker was reset): ``GET /api/v1/kiosk/catalogue`` answers the
published JSON itself (the blob's bytes), with the device's credentials.

The answer takes the same road as a pushed catalogue: written to the blob cache under its
sha256, announced to the hall content as the body the cloud would have sent, then checked and
loaded by :mod:`edge_agent.kiosk.guide_catalogue`. At most one pull per ``PULL_EVERY_S`` and
never while one is running; a failure is logged and the screen keeps saying the guide is being
downloaded.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time

from pydantic import ValidationError

from edge_agent.hall.files import atomic_write
from edge_agent.kiosk.cloud_client import CloudUnreachable
from edge_agent.kiosk.parts import KioskParts
from protocols.guide import CATALOGUE, Catalogue, CatalogueBody, CatalogueRef

log = logging.getLogger(__name__)

PATH = "/api/v1/kiosk/catalogue"
PULL_EVERY_S = 60.0
PULL_TIMEOUT_S = 20.0


class CataloguePull:
    """Pulls in the background, when asked (:meth:`maybe`) and not too often."""

    def __init__(self, parts: KioskParts, every_s: float = PULL_EVERY_S) -> None:
        self.parts = parts
        self.every_s = every_s
        self.pulled = 0
        self.failures = 0
        self._last = -math.inf
        self._task: asyncio.Task[bool] | None = None

    def maybe(self) -> None:
        """Start a pull unless one runs or the last began less than ``every_s`` ago."""
        if self.parts.hall is None or (self._task is not None and not self._task.done()):
            return
        if time.monotonic() - self._last < self.every_s:
            return
        self._last = time.monotonic()
        self._task = asyncio.get_running_loop().create_task(self.pull())

    async def wait(self) -> bool | None:
        """The outcome of the pull under way or last made (None: none was made)."""
        return None if self._task is None else await self._task

    async def pull(self) -> bool:
        """Fetch the current catalogue and hand it to the hall content; whether it was new."""
        hall = self.parts.hall
        assert hall is not None
        try:
            r = await self.parts.cloud.call("GET", PATH, timeout_s=PULL_TIMEOUT_S)
        except CloudUnreachable as err:
            return self._failed(str(err))
        if r.status_code != 200:
            return self._failed(f"the cloud answered HTTP {r.status_code}: {r.text[:200]}")
        data = r.content
        try:
            catalogue = await asyncio.to_thread(Catalogue.model_validate_json, data)
        except ValidationError as err:
            return self._failed("not a valid catalogue: " + str(err).splitlines()[0])
        sha = hashlib.sha256(data).hexdigest()
        body = CatalogueBody(
            site=hall.site,
            version=catalogue.version,
            published_at=catalogue.published_at,
            blob=CatalogueRef(sha256=sha, size=len(data)),
            items=len(catalogue.items),
            sample=catalogue.sample,
        )
        try:
            atomic_write(hall.blobs.path(sha), data)
            new = hall.accept(CATALOGUE, body)
        except OSError as err:
            return self._failed(f"could not keep it: {err}")
        self.pulled += 1
        log.info("kiosk guide: catalogue v%d pulled from the cloud", catalogue.version)
        return new

    def _failed(self, why: str) -> bool:
        self.failures += 1
        log.warning("kiosk guide: no catalogue held and the pull failed (%s)", why)
        return False
