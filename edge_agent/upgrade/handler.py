"""The ``agent.upgrade`` and ``agent.rollback`` orders, and the ``upgrade`` events they cause.

An upgrade is staged beside the running version (``staging``), then switched: ``pending.json``
names the new version, the one running now and the order's health window; ``current`` is
swapped to the new release in one rename; and this agent stops in order (its acks flushed,
offline said) so that the launcher starts the new one. The new agent, once it is on the broker
with its birth out, claims the verdict ``healthy`` and says so; the launcher switches back if
the verdict is not in by the window's end (or the new agent dies first), and the previous
version, started again, reports ``rolled_back``. A rollback order is the same switch, towards a
release still kept. Events go through the durable outbox, which every version shares: one the
old agent had no time to send, the new one sends.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from edge_agent import __version__
from edge_agent.upgrade.layout import (
    HEALTHY,
    Pending,
    Releases,
    running_version,
    under_launcher,
)
from edge_agent.upgrade.staging import (
    STAGED_MARK,
    StagingFailed,
    check_room,
    disk_error,
    download,
    read_manifest,
    unpack,
)
from protocols.messages import EventBody, EventKind
from protocols.upgrade import RollbackOrder, UpgradeData, UpgradeOrder, UpgradeState

log = logging.getLogger(__name__)

Emit = Callable[[EventBody], Awaitable[None]]
MAX_WAITING = 8  # orders queued behind the one in progress


class Upgrades:
    """One agent's upgrade desk: orders in, ``upgrade`` events out, a stop to switch."""

    def __init__(self, data_dir: Path, emit: Emit, request_stop: Callable[[], None]) -> None:
        self.releases = Releases.of(data_dir)
        self.version = running_version()
        self._emit = emit
        self._request_stop = request_stop
        self._busy = asyncio.Lock()
        self._orders: asyncio.Queue[UpgradeOrder | RollbackOrder] = asyncio.Queue(MAX_WAITING)
        self.switching = False  # this agent is stopping so that another version starts

    def submit(self, order: UpgradeOrder | RollbackOrder) -> None:
        """Queue an order for :meth:`run` (a download must not hold up the jobs' commands)."""
        try:
            self._orders.put_nowait(order)
        except asyncio.QueueFull:  # the cloud repeats an order it has no answer to
            log.warning("upgrade order %s dropped: %d already wait", order.rollout_id, MAX_WAITING)

    async def run(self, connected: asyncio.Event) -> None:
        """The health mark once connected (if this version is under watch), then the orders."""
        await connected.wait()
        await self.on_connected()
        while True:
            await self.handle(await self._orders.get())

    async def handle(self, order: UpgradeOrder | RollbackOrder) -> None:
        """One order, after any other one in progress (they are rare and idempotent)."""
        async with self._busy:
            if self.switching:
                log.info("upgrade order ignored: this agent is already switching")
            elif isinstance(order, UpgradeOrder):
                await self._upgrade(order)
            else:
                await self._rollback(order)

    async def on_start(self) -> None:
        """A switch back just brought this version up again: say so, settle it."""
        pending = self.releases.read_pending()
        if pending is None or pending.state != "rolled_back":
            return
        if pending.previous_version == self.version:
            await self._report(
                pending.rollout_id,
                pending.version,
                UpgradeState.ROLLED_BACK,
                previous=pending.previous_version,
                reason=pending.reason or "health_timeout",
            )
        self.releases.clear_pending()

    async def on_connected(self) -> None:
        """On the broker with a birth: a new version under watch passes its health check."""
        pending = self.releases.read_pending()
        if pending is None or pending.state != "switching" or pending.version != self.version:
            return
        verdict = await asyncio.to_thread(self.releases.claim_verdict, HEALTHY)
        if verdict != HEALTHY:
            log.warning("health mark too late: the launcher is switching back already")
            return
        log.info("version %s is healthy (was %s)", self.version, pending.previous_version)
        await self._report(
            pending.rollout_id,
            self.version,
            UpgradeState.HEALTHY,
            previous=pending.previous_version,
        )

    # --- the orders --------------------------------------------------------------------------

    async def _upgrade(self, order: UpgradeOrder) -> None:
        rid, version = order.rollout_id, order.version
        if version == self.version:
            pending = self.releases.read_pending()
            if pending is None or pending.version != version:  # already done: say it again
                await self._report(rid, version, UpgradeState.HEALTHY)
            return
        if not under_launcher():
            await self._fail(
                rid,
                version,
                "no_launcher",
                "this agent does not run under "
                "kfleet-agent-launch, which would start the new version",
            )
            return
        await self._report(rid, version, UpgradeState.DOWNLOADING)
        try:
            release = await self._stage(order)
        except StagingFailed as err:
            log.warning("upgrade to %s not staged (%s): %s", version, err.reason, err)
            await self._fail(rid, version, err.reason, str(err))
            return
        except OSError as err:  # the releases directory itself: full, read-only, gone
            failed = disk_error(err, self.releases.root / version)
            log.warning("upgrade to %s not staged: %s", version, failed)
            await self._fail(rid, version, failed.reason, str(failed))
            return
        await self._report(rid, version, UpgradeState.STAGED)
        pending = Pending(
            rollout_id=rid,
            version=version,
            previous_version=self.version,
            previous_release=self.releases.current_release(),
            health_window_s=order.health_window_s,
        )
        await self._switch(pending, release.name, UpgradeState.SWITCHING)

    async def _rollback(self, order: RollbackOrder) -> None:
        rid, target = order.rollout_id, order.to_version
        if target == self.version:
            await self._report(
                rid, target, UpgradeState.ROLLED_BACK, previous=target, reason="ordered"
            )
            return
        if self.releases.release_dir(target).is_dir():
            release = target
        elif target == __version__:
            release = ""  # the installed agent
        else:
            await self._fail(rid, target, "not_kept", f"version {target} is no longer kept here")
            return
        if not under_launcher():
            await self._fail(
                rid,
                target,
                "no_launcher",
                "this agent does not run under "
                "kfleet-agent-launch, which would start the other version",
            )
            return
        pending = Pending(
            rollout_id=rid,
            version=self.version,
            previous_version=target,
            previous_release=release,
            health_window_s=1,
            state="rolled_back",
            reason="ordered",
        )
        await self._switch(pending, release, None)

    async def _switch(self, pending: Pending, release: str, say: UpgradeState | None) -> None:
        """Write the plan, swap ``current`` and stop, so that the launcher starts ``release``."""
        try:
            await asyncio.to_thread(self._write_switch, pending, release)
        except OSError as err:
            await self._fail(pending.rollout_id, pending.version, "disk", f"cannot switch: {err}")
            return
        if say is not None:
            await self._report(
                pending.rollout_id, pending.version, say, previous=pending.previous_version
            )
        log.info("switching from %s to %s: stopping", self.version, release or "installed")
        self.switching = True
        self._request_stop()

    def _write_switch(self, pending: Pending, release: str) -> None:
        self.releases.clear_pending()  # an old verdict must not decide this switch
        self.releases.write_pending(pending)
        self.releases.point_current(release)

    async def _stage(self, order: UpgradeOrder) -> Path:
        """``releases/<version>``, downloaded and checked now or reused from an earlier order."""
        root, version = self.releases.root, order.version
        final = self.releases.release_dir(version)
        mark = final / STAGED_MARK
        if mark.is_file() and mark.read_text().strip() == order.artifact.sha256:
            await asyncio.to_thread(read_manifest, final, version)
            return final
        await asyncio.to_thread(check_room, root, order.artifact)
        work = root / f".staging-{version}-{os.getpid()}"
        await asyncio.to_thread(shutil.rmtree, work, True)
        work.mkdir(parents=True)
        try:
            archive = work / "release.tar.gz"
            await download(order.artifact, archive)
            await asyncio.to_thread(unpack, archive, work / "tree", version)
            (work / "tree" / STAGED_MARK).write_text(order.artifact.sha256)
            await asyncio.to_thread(self._install, work / "tree", final)
        finally:
            await asyncio.to_thread(shutil.rmtree, work, True)
        return final

    def _install(self, tree: Path, final: Path) -> None:
        """Move the checked tree into place; drop releases nobody can switch to any more."""
        keep = {self.releases.current_release(), final.name}
        if final.name == self.releases.current_release():
            raise StagingFailed("in_use", f"{final.name} runs now with another artifact")
        shutil.rmtree(final, ignore_errors=True)
        tree.rename(final)
        for old in self.releases.root.iterdir():
            if old.is_dir() and not old.is_symlink() and old.name not in keep:
                if not old.name.startswith("."):
                    log.info("removing release %s (neither running nor new)", old.name)
                shutil.rmtree(old, ignore_errors=True)

    # --- events ------------------------------------------------------------------------------

    async def _fail(self, rid: str, version: str, reason: str, message: str) -> None:
        await self._report(rid, version, UpgradeState.FAILED, reason=reason, message=message)

    async def _report(
        self,
        rid: str,
        version: str,
        state: UpgradeState,
        *,
        previous: str = "",
        reason: str = "",
        message: str = "",
    ) -> None:
        data = UpgradeData(
            rollout_id=rid,
            version=version,
            state=state,
            previous_version=previous or self.version,
            reason=reason,
            message=message[:500],
        )
        log.info("upgrade %s → %s: %s %s", rid, version, state.value, reason)
        await self._emit(
            EventBody(kind=EventKind.UPGRADE, reason=reason, data=data.model_dump(mode="json"))
        )
