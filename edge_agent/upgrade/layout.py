"""The releases tree in the data directory, shared by the agent and its launcher.

```
<data_dir>/releases/
  0.2.0/              one unpacked release (kfleet-release.json at its top)
  current -> 0.2.0    what the launcher runs; absent: the installed agent
  pending.json        a switch in progress: to what, from what, for which rollout
  verdict             ``healthy`` or ``rollback``, written once (O_EXCL) by whoever decides first
```

The journal, outbox, bd_seq and config stay in ``<data_dir>`` itself: every version shares
them. Every write here is atomic (a temporary name, then ``rename``), so a power cut leaves the
old or the new state, never half of one. The verdict is a race both sides may run at the
end of the health window — the new agent saying ``healthy`` as the launcher gives up on
it — and ``O_EXCL`` lets exactly one of them win.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from edge_agent import __version__

log = logging.getLogger(__name__)

#: set by the launcher for the agent it runs: the version it started (the manifest's)
ENV_VERSION = "KFLEET_AGENT_VERSION"
#: set by the launcher: an agent without it cannot switch (nobody would start the new one)
ENV_LAUNCHER = "KFLEET_AGENT_LAUNCHER"
HEALTHY, ROLLBACK = "healthy", "rollback"


def running_version() -> str:
    """The version this process runs: the launcher's word for it, else the installed one."""
    return os.environ.get(ENV_VERSION) or __version__


def under_launcher() -> bool:
    return bool(os.environ.get(ENV_LAUNCHER))


class Pending(BaseModel):
    """``pending.json``: a switch the launcher has to watch (or has just undone)."""

    model_config = ConfigDict(extra="forbid")

    rollout_id: str
    version: str  # switched to
    previous_version: str
    #: the release directory to go back to; "" is the installed agent
    previous_release: str
    health_window_s: Annotated[float, Field(gt=0)]
    state: Literal["switching", "rolled_back"] = "switching"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Releases:
    """``<data_dir>/releases`` and the files in it."""

    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> Releases:
        return cls(data_dir / "releases")

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def pending_path(self) -> Path:
        return self.root / "pending.json"

    @property
    def verdict_path(self) -> Path:
        return self.root / "verdict"

    def release_dir(self, version: str) -> Path:
        return self.root / version

    def current_release(self) -> str:
        """The release directory ``current`` names; "" when the installed agent runs."""
        try:
            return os.readlink(self.current)
        except FileNotFoundError:
            return ""

    def point_current(self, release: str) -> None:
        """Atomically point ``current`` at ``release`` ("": remove it, the installed agent)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if not release:
            with contextlib.suppress(FileNotFoundError):
                self.current.unlink()
        else:
            tmp = self.root / f".current-{os.getpid()}"
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            tmp.symlink_to(release)
            os.replace(tmp, self.current)  # rename(2) swaps the link in one step
        _sync_dir(self.root)

    def read_pending(self) -> Pending | None:
        try:
            return Pending.model_validate_json(self.pending_path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValidationError) as err:  # a damaged file must not wedge upgrades
            log.warning("ignoring an unreadable %s: %s", self.pending_path, err)
            return None

    def write_pending(self, pending: Pending) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.pending_path, pending.model_dump_json().encode())

    def clear_pending(self) -> None:
        """The switch is settled: no pending, no verdict."""
        for path in (self.pending_path, self.verdict_path):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        _sync_dir(self.root)

    def claim_verdict(self, word: str) -> str:
        """Write ``word`` as the verdict unless one exists; the verdict in force.

        The word is written to a private file first and hard-linked into place: ``link(2)``
        fails if the verdict exists, so nobody ever reads a half-written one."""
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".verdict-{os.getpid()}"
        _write_synced(tmp, word.encode())
        try:
            os.link(tmp, self.verdict_path)
        except FileExistsError:
            return self.verdict()
        finally:
            tmp.unlink()
        _sync_dir(self.root)
        return word

    def verdict(self) -> str:
        """``healthy``, ``rollback``, or "" while nobody has decided."""
        try:
            return self.verdict_path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return ""


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}-{os.getpid()}")
    _write_synced(tmp, data)
    os.replace(tmp, path)
    _sync_dir(path.parent)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a power cut right after keeps it)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
