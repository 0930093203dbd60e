"""Accepting the site's content from the link, keeping it, and telling the screens.

Every message on ``kf/v1/site/{site}/{name}`` is untrusted: a name this agent does not know
is ignored (a newer cloud may publish more); a payload that is not a valid ``content``
envelope, a body for another site, or a body whose ``kind`` is not its topic's name is refused
(counted in ``refused`` by reason, logged, handed to the agent's reject handler) and never
stops anything. A body whose version is not newer than the one held is ignored
(``protocols.hall.replaces``): a stale retained copy never replaces what is on screen.

Which names a device keeps depends on its role (:data:`KEPT`): hall screens and window PCs
keep what their screens show; a kiosk keeps only the service-guide ``catalogue`` (its blob is
fetched and verified like an image, and the kiosk searches it offline, ``edge_agent.kiosk.
guide_catalogue``). Other names are dropped unread (``ignored["not_kept"]``).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Set
from pathlib import Path
from typing import Protocol

from edge_agent.config import AgentConfig
from edge_agent.hall.blobs import BlobCache, WantedBlob
from edge_agent.hall.store import SHOWN_PLAN, Body, ContentStore
from protocols.envelope import MsgType, decode
from protocols.errors import ProtocolError
from protocols.guide import CATALOGUE, CatalogueBody
from protocols.hall import (
    FLOORPLAN,
    LIVE,
    WINDOWS,
    FloorPlanBody,
    WindowsBody,
    content_model,
)
from protocols.messages import Role
from protocols.topics import parse_site_topic, site_content_filter

log = logging.getLogger(__name__)

RejectHandler = Callable[[str, str, str], Awaitable[None]]  # reason, message, topic
#: the roles whose screens show hall content (protocol §17: no other device subscribes to it)
SHOWING_ROLES = (Role.HALL_SCREEN, Role.WINDOW)
_SHOWN: frozenset[str] = frozenset({FLOORPLAN, WINDOWS, LIVE})
#: the content names each role follows and keeps (a role not here follows nothing)
KEPT: dict[Role, frozenset[str]] = {
    Role.HALL_SCREEN: _SHOWN,
    Role.WINDOW: _SHOWN,
    Role.KIOSK: frozenset({CATALOGUE}),
}


class Subscribing(Protocol):
    """Where to register a topic filter (``edge_agent.link.subscriptions.Subscriptions``)."""

    def add(self, topic_filter: str, handler: Callable[[str, bytes], Awaitable[None]]) -> None: ...


class HallContent:
    """The content of one site, as this agent holds it."""

    def __init__(
        self,
        site: str,
        data_dir: Path,
        *,
        cloud_url: str | None,
        on_reject: RejectHandler | None = None,
        shows: bool = True,
        kinds: Set[str] | None = None,
    ) -> None:
        self.site = site
        self.shows = shows
        """Whether this device uses any site content (only then it is followed)."""
        self.kinds = frozenset(kinds) if kinds is not None else None
        """The content names kept (None: every name this agent knows)."""
        self._listeners: list[Callable[[], None]] = []
        self.store = ContentStore(data_dir / "content")
        self.blobs = BlobCache(data_dir / "content" / "blobs", cloud_url, self._blob_ready)
        self._on_reject = on_reject
        self.refused: Counter[str] = Counter()
        self.ignored: Counter[str] = Counter()
        self.revision = 0
        """Grows at every change a screen shows (content accepted, an image verified)."""
        self._changed = asyncio.Event()
        self.closed = False

    @classmethod
    def of(cls, config: AgentConfig, *, on_reject: RejectHandler | None = None) -> HallContent:
        """The hall content of an agent: its site, under its data directory."""
        cloud_url = config.cloud.url if config.cloud is not None else None
        kinds = KEPT.get(config.role, frozenset())
        return cls(
            config.site,
            config.data_dir,
            cloud_url=cloud_url,
            on_reject=on_reject,
            shows=bool(kinds),
            kinds=kinds,
        )

    @property
    def topic_filter(self) -> str:
        """What the link subscribes to for this site's content (that site only)."""
        return site_content_filter(self.site)

    def follow_on(self, subscriptions: Subscribing) -> None:
        """Follow the site's content on the link, if this device shows it."""
        if self.shows:
            subscriptions.add(self.topic_filter, self.on_message)

    def load(self) -> None:
        """What an earlier run kept; the images it names are fetched if missing."""
        self.closed = False
        self.store.load()
        for body in list(self.store.held.values()):
            self._want_blobs(body)
        self._promote_plan()

    async def run(self) -> None:
        """Fetch the images the content names, until cancelled (then wake the screens' streams
        so they end)."""
        try:
            await self.blobs.run()
        finally:
            self.closed = True
            self._notify()

    # --- from the link ----------------------------------------------------------------------

    async def on_message(self, topic: str, payload: bytes) -> None:
        """One message on the site's content topics (the link's subscription handler)."""
        try:
            site, name = parse_site_topic(topic)
        except ProtocolError as err:
            await self._refuse(err.reason, str(err), topic)
            return
        if not payload or content_model(name) is None:
            self.ignored["cleared" if not payload else "unknown_name"] += 1
            return
        if self.kinds is not None and name not in self.kinds:
            self.ignored["not_kept"] += 1  # not for this role: not even decoded
            return
        try:
            body: Body = decode(payload, MsgType.CONTENT).body
        except ProtocolError as err:
            await self._refuse(err.reason, str(err), topic)
            return
        if site != self.site or body.site != self.site:
            why = f"content for site {body.site!r} on {topic}; this device is in {self.site!r}"
            await self._refuse("wrong_site", why, topic)
            return
        if body.kind != name:
            await self._refuse("kind_mismatch", f"a {body.kind!r} body on {topic}", topic)
            return
        try:
            self.accept(name, body)
        except OSError as err:  # a full or failing disk: the broker's copy comes back later
            self.refused["not_stored"] += 1
            log.error(
                "hall %s v%d could not be stored (%s); the screen keeps the last",
                name,
                body.version,
                err,
            )

    def accept(self, name: str, body: Body) -> bool:
        """Keep ``body`` if it is newer than the one held; whether it was."""
        held = self.store.version(name)
        if held is not None and body.version <= held:
            self.ignored["not_newer"] += 1
            log.info("hall %s v%d ignored: v%d is held", name, body.version, held)
            return False
        self.store.put(name, body)
        log.info("hall %s v%d accepted", name, body.version)
        self._want_blobs(body)
        self._promote_plan()
        self._notify()
        return True

    async def _refuse(self, reason: str, message: str, topic: str) -> None:
        self.refused[reason] += 1
        log.warning("hall content refused (%s) on %s: %s", reason, topic, message[:300])
        if self._on_reject is not None:
            await self._on_reject(reason, message, topic)

    # --- for the screens --------------------------------------------------------------------

    @property
    def plan(self) -> FloorPlanBody | None:
        """The plan to show: the newest whose image is verified."""
        shown = self.store.held.get(SHOWN_PLAN)
        return shown if isinstance(shown, FloorPlanBody) else None

    def body(self, name: str) -> Body | None:
        return self.store.held.get(name)

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (in the event loop, must not block) after every change: content
        accepted or a blob verified (the kiosk's guide rebuilds its index then)."""
        self._listeners.append(listener)

    async def wait_change(self, seen: int) -> int | None:
        """The revision once it differs from ``seen``; None once the agent is stopping."""
        while self.revision == seen and not self.closed:
            await self._changed.wait()
        return None if self.closed else self.revision

    def _notify(self) -> None:
        self.revision += 1
        self._changed.set()
        self._changed = asyncio.Event()
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # a listener's bug must not stop the content from flowing
                log.exception("hall content listener failed")

    def _blob_ready(self) -> None:
        self._promote_plan()
        self._notify()

    def _promote_plan(self) -> None:
        newest = self.store.held.get(FLOORPLAN)
        if not isinstance(newest, FloorPlanBody) or not self.blobs.has(newest.image.sha256):
            return
        shown = self.plan
        if shown is None or shown.version < newest.version:
            self.store.put(SHOWN_PLAN, newest)

    def _want_blobs(self, body: Body) -> None:
        refs: list[WantedBlob] = []
        if isinstance(body, FloorPlanBody):
            refs.append(body.image)
        elif isinstance(body, WindowsBody) and body.kind == WINDOWS:
            refs.extend(s.photo for w in body.windows for s in w.staff if s.photo is not None)
        elif isinstance(body, CatalogueBody):
            refs.append(body.blob)
        self.blobs.want(refs)
