"""The service-guide catalogue on the kiosk: loaded from the site's ``catalogue`` content,
checked, indexed, and kept so the kiosk goes on answering offline.

The cloud announces a catalogue as retained content (``protocols.guide.CatalogueBody``) naming
a JSON blob; the hall content (``edge_agent.hall``) keeps the body and fetches the blob with the
device's credentials, writing it only once its sha256 matches. Here the blob is read back,
hashed again (a disk can rot), parsed as a ``Catalogue`` whose version must be the body's, and
indexed in a thread. Anything wrong: the catalogue is refused (``refused`` counts why, ``problem``
says it), never loaded, and the kiosk keeps the one it held. The body last loaded is written to
``<data_dir>/kiosk/guide/loaded.json``, so after a restart without the cloud (its blob is still
in the cache) the kiosk searches what it searched before.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from edge_agent.hall.files import atomic_write
from edge_agent.kiosk.guide_index import GuideIndex, build_index
from protocols.guide import CATALOGUE, Catalogue, CatalogueBody

if TYPE_CHECKING:
    from edge_agent.hall import HallContent

log = logging.getLogger(__name__)


class CatalogueRefused(Exception):
    """A catalogue blob that must not be loaded (``reason`` is a short code)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class GuideCatalogue:
    """The catalogue this kiosk searches (``index``), following the site's content."""

    def __init__(self, hall: HallContent | None, data_dir: Path) -> None:
        self._hall = hall
        self.kept_path = data_dir / "kiosk" / "guide" / "loaded.json"
        self.index: GuideIndex | None = None
        self.loaded: CatalogueBody | None = None
        self.refused: Counter[str] = Counter()
        self.problem = ""
        """Why the newest catalogue was refused (empty when the newest is loaded)."""
        self.loads = 0
        self._bad: set[str] = set()  # blob sha256s refused: not read again
        self._seen = -1
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        if hall is not None:
            hall.on_change(self._changed)

    async def current(self) -> GuideIndex | None:
        """The index to search now. The first call waits for a load; later ones answer with
        the index held while a newer one is built."""
        if self._hall is not None and self._seen != self._hall.revision:
            if self.index is None:
                await self.refresh()
            else:
                self._changed()
        return self.index

    async def wait_version(self, version: int) -> None:
        """Until a catalogue of at least ``version`` is loaded (for tests and health)."""
        while self.loaded is None or self.loaded.version < version:
            await self._ready.wait()

    def _changed(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # content changed outside the event loop: current() catches up
            return
        if self._task is None or self._task.done():
            self._task = loop.create_task(self.refresh())

    async def refresh(self) -> None:
        """Load the newest catalogue the hall content holds, if it is newer than ours."""
        async with self._lock:
            while self._hall is not None and self._seen != self._hall.revision:
                self._seen = self._hall.revision
                for body in self._candidates():
                    if await self._try(body):
                        break

    def _candidates(self) -> list[CatalogueBody]:
        """Newest first: the body the hall holds, then (nothing loaded yet) the one kept."""
        out = []
        held = self._hall.body(CATALOGUE) if self._hall is not None else None
        if isinstance(held, CatalogueBody):
            out.append(held)
        if self.loaded is None:
            kept = self._read_kept()
            if kept is not None and (not out or kept.version < out[0].version):
                out.append(kept)
        have = self.loaded.version if self.loaded is not None else 0
        return [b for b in out if b.version > have and b.blob.sha256 not in self._bad]

    async def _try(self, body: CatalogueBody) -> bool:
        assert self._hall is not None
        path = self._hall.blobs.path(body.blob.sha256)
        if not path.is_file():
            return False  # still being fetched: the hall content tells us when it is here
        try:
            index = await asyncio.to_thread(_load, path, body)
        except CatalogueRefused as err:
            self._bad.add(body.blob.sha256)
            return self._refuse(body, err.reason, str(err))
        except OSError as err:  # unreadable now (not marked bad: the next change retries)
            return self._refuse(body, "unreadable", f"the cached blob cannot be read: {err}")
        self.index, self.loaded, self.problem = index, body, ""
        self.loads += 1
        self._ready.set()
        self._ready = asyncio.Event()
        log.info("kiosk guide: catalogue v%d loaded (%d items)", body.version, body.items)
        try:
            atomic_write(self.kept_path, body.model_dump_json().encode())
        except OSError as err:  # searching goes on; only a restart offline would miss it
            log.warning("kiosk guide: could not keep %s: %s", self.kept_path, err)
        return True

    def _refuse(self, body: CatalogueBody, reason: str, why: str) -> bool:
        self.refused[reason] += 1
        self.problem = f"catalogue v{body.version} refused: {why}"
        log.error("kiosk guide: %s; the kiosk keeps the catalogue it holds", self.problem)
        return False

    def _read_kept(self) -> CatalogueBody | None:
        try:
            return CatalogueBody.model_validate_json(self.kept_path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as err:
            log.warning("kiosk guide: %s unreadable (%s); ignored", self.kept_path, err)
            return None


def _load(path: Path, body: CatalogueBody) -> GuideIndex:
    """The index of the catalogue blob at ``path``, checked against ``body``."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != body.blob.sha256:
        raise CatalogueRefused(
            "damaged", f"the cached blob hashes to {digest[:12]}…, not {body.blob.sha256[:12]}…"
        )
    try:
        catalogue = Catalogue.model_validate_json(data)
    except ValidationError as err:
        first = str(err).splitlines()[:3]
        raise CatalogueRefused("invalid", "not a valid catalogue: " + " ".join(first)) from err
    if catalogue.version != body.version:
        raise CatalogueRefused(
            "version_mismatch",
            f"the blob holds version {catalogue.version}, the content announced {body.version}",
        )
    return build_index(catalogue)
