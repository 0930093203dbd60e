"""The agent's upgrade desk (``edge_agent.upgrade.handler``): an order is staged beside the
running version and switched to, or refused with a ``failed`` event naming why — and then
nothing changed: no ``current``, no ``pending.json``, no stop, nothing outside
``releases/``."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge_agent import __version__
from edge_agent.upgrade import staging
from edge_agent.upgrade.handler import Upgrades
from edge_agent.upgrade.layout import ENV_LAUNCHER, ENV_VERSION, HEALTHY, ROLLBACK, Pending
from protocols.messages import EventBody, EventKind
from protocols.upgrade import RELEASE_MANIFEST, RollbackOrder, UpgradeOrder

from .upgrade_kit import ArtifactServer, artifact_server, manifest, release_bytes, targz

NEW = "0.2.0"


class Desk:
    """An :class:`Upgrades` with its events and stop requests recorded."""

    def __init__(self, data_dir: Path) -> None:
        self.events: list[dict[str, Any]] = []
        self.stops = 0
        self.upgrades = Upgrades(data_dir, self._emit, self._stop)
        self.releases = self.upgrades.releases

    async def _emit(self, event: EventBody) -> None:
        assert event.kind == EventKind.UPGRADE and event.peripheral is None
        self.events.append(dict(event.data))

    def _stop(self) -> None:
        self.stops += 1

    @property
    def states(self) -> list[str]:
        return [e["state"] for e in self.events]


@pytest.fixture
def server() -> Iterator[ArtifactServer]:
    with artifact_server() as s:
        yield s


@pytest.fixture
def desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Desk:
    monkeypatch.setenv(ENV_LAUNCHER, "1")
    monkeypatch.delenv(ENV_VERSION, raising=False)
    return Desk(tmp_path / "data")


def order(server: ArtifactServer, data: bytes, version: str = NEW, **art: Any) -> UpgradeOrder:
    return UpgradeOrder(
        rollout_id="r-1", version=version, artifact=server.artifact("rel", data, **art)
    )


def assert_untouched(desk: Desk) -> None:
    """A refused order leaves the running version as it was."""
    assert desk.releases.current_release() == ""
    assert desk.releases.read_pending() is None
    assert desk.stops == 0
    assert not desk.upgrades.switching
    left = [p.name for p in desk.releases.root.iterdir()] if desk.releases.root.exists() else []
    assert left == [], left  # no half-staged release, no temporary file


async def test_a_good_release_is_staged_beside_the_running_one_and_switched_to(
    desk: Desk, server: ArtifactServer
) -> None:
    await desk.upgrades.handle(order(server, release_bytes(NEW)))
    assert desk.states == ["downloading", "staged", "switching"]
    assert all(e["previous_version"] == __version__ for e in desk.events)
    assert desk.releases.current_release() == NEW
    assert (desk.releases.root / "current" / RELEASE_MANIFEST).is_file()
    pending = desk.releases.read_pending()
    assert pending is not None
    assert (pending.version, pending.previous_version, pending.previous_release) == (
        NEW,
        __version__,
        "",
    )
    assert pending.state == "switching" and pending.health_window_s == 120
    assert desk.stops == 1 and desk.upgrades.switching


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ({"sha256": "0" * 64}, "checksum"),
        ({"size": 10}, "size"),  # the server sends more than ordered: cut off
        ({"url": "http://127.0.0.1:9/nothing"}, "download"),  # nobody listens
    ],
)
async def test_a_damaged_download_fails_and_nothing_switches(
    desk: Desk, server: ArtifactServer, damage: dict[str, Any], reason: str
) -> None:
    await desk.upgrades.handle(order(server, release_bytes(NEW), **damage))
    assert desk.states == ["downloading", "failed"]
    assert desk.events[-1]["reason"] == reason
    assert desk.events[-1]["message"]
    assert_untouched(desk)


@pytest.mark.parametrize(
    ("archive", "reason", "says"),
    [
        (release_bytes(NEW, {"../evil.py": b"x"}), "archive", "outside itself: '../evil.py'"),
        (release_bytes(NEW, {"/etc/evil.py": b"x"}), "archive", "outside itself"),
        (
            targz({RELEASE_MANIFEST: manifest(NEW)}, links={"bin/fake.py": "/etc/passwd"}),
            "archive",
            "link or device file: 'bin/fake.py'",
        ),
        (b"not a tar at all", "archive", "not a usable .tar.gz"),
        (targz({"bin/kfleet-agent.py": b""}), "manifest", "no kfleet-release.json"),
        (release_bytes("0.3.0"), "manifest", "says it is 0.3.0, the order says 0.2.0"),
        (
            targz({RELEASE_MANIFEST: manifest(NEW, ["bin/missing.py"])}),
            "manifest",
            "'bin/missing.py' is not a file inside it",
        ),
        (
            targz({RELEASE_MANIFEST: b'{"version": "0.2.0"}'}),
            "manifest",
            "protocol: Field required",
        ),
    ],
)
async def test_a_hostile_or_wrong_release_is_refused_before_anything_runs(
    desk: Desk, server: ArtifactServer, tmp_path: Path, archive: bytes, reason: str, says: str
) -> None:
    await desk.upgrades.handle(order(server, archive))
    assert desk.states == ["downloading", "failed"], desk.events
    assert desk.events[-1]["reason"] == reason, desk.events[-1]
    assert says in desk.events[-1]["message"], desk.events[-1]
    assert_untouched(desk)
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "data" / "evil.py").exists()


async def test_no_room_on_the_disk_fails_before_the_download(
    desk: Desk, server: ArtifactServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    usage = shutil.disk_usage("/")
    monkeypatch.setattr(staging.shutil, "disk_usage", lambda _: usage._replace(free=10 * 2**20))
    await desk.upgrades.handle(order(server, release_bytes(NEW)))
    assert desk.states == ["downloading", "failed"]
    assert desk.events[-1]["reason"] == "disk_full"
    assert "MiB free" in desk.events[-1]["message"]
    assert_untouched(desk)


async def test_without_the_launcher_nothing_is_downloaded(
    desk: Desk, server: ArtifactServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_LAUNCHER)
    await desk.upgrades.handle(order(server, release_bytes(NEW)))
    assert desk.states == ["failed"] and desk.events[0]["reason"] == "no_launcher"
    assert_untouched(desk)


async def test_the_version_already_running_answers_healthy_again(
    desk: Desk, server: ArtifactServer
) -> None:
    await desk.upgrades.handle(order(server, release_bytes(__version__), version=__version__))
    assert desk.states == ["healthy"]
    assert_untouched(desk)


async def test_the_new_version_claims_healthy_once_connected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desk: Desk, server: ArtifactServer
) -> None:
    await desk.upgrades.handle(order(server, release_bytes(NEW)))
    monkeypatch.setenv(ENV_VERSION, NEW)
    new = Desk(tmp_path / "data")  # the new version, started by the launcher
    await new.upgrades.on_start()
    assert new.events == []  # nothing to report before the broker is reached
    await new.upgrades.on_connected()
    assert new.states == ["healthy"]
    assert new.events[0]["previous_version"] == __version__
    assert new.releases.verdict() == HEALTHY


async def test_a_verdict_already_rollback_keeps_the_new_version_quiet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, desk: Desk, server: ArtifactServer
) -> None:
    await desk.upgrades.handle(order(server, release_bytes(NEW)))
    desk.releases.claim_verdict(ROLLBACK)  # the launcher gave up on it first
    monkeypatch.setenv(ENV_VERSION, NEW)
    new = Desk(tmp_path / "data")
    await new.upgrades.on_connected()
    assert new.events == []


async def test_the_previous_version_reports_the_switch_back_and_settles_it(
    desk: Desk,
) -> None:
    desk.releases.write_pending(
        Pending(
            rollout_id="r-9",
            version=NEW,
            previous_version=__version__,
            previous_release="",
            health_window_s=10,
            state="rolled_back",
            reason="crashed",
        )
    )
    await desk.upgrades.on_start()
    assert desk.events == [
        {
            "rollout_id": "r-9",
            "version": NEW,
            "state": "rolled_back",
            "previous_version": __version__,
            "reason": "crashed",
            "message": "",
        }
    ]
    assert desk.releases.read_pending() is None


async def test_a_rollback_order_switches_to_a_kept_release_or_says_it_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: ArtifactServer
) -> None:
    monkeypatch.setenv(ENV_LAUNCHER, "1")
    monkeypatch.setenv(ENV_VERSION, NEW)
    desk = Desk(tmp_path / "data")
    await desk.upgrades.handle(RollbackOrder(rollout_id="r-2", to_version="0.0.9"))
    assert desk.states == ["failed"] and desk.events[0]["reason"] == "not_kept"
    assert desk.stops == 0

    await desk.upgrades.handle(RollbackOrder(rollout_id="r-2", to_version=__version__))
    assert desk.stops == 1 and desk.releases.current_release() == ""
    pending = desk.releases.read_pending()
    assert pending is not None and pending.state == "rolled_back" and pending.reason == "ordered"
    assert (pending.version, pending.previous_version) == (NEW, __version__)


async def test_a_rollback_to_the_running_version_answers_at_once(desk: Desk) -> None:
    await desk.upgrades.handle(RollbackOrder(rollout_id="r-3", to_version=__version__))
    assert desk.states == ["rolled_back"] and desk.events[0]["reason"] == "ordered"
    assert_untouched(desk)


async def test_the_same_order_again_reuses_the_staged_release(
    desk: Desk, server: ArtifactServer, tmp_path: Path
) -> None:
    first = order(server, release_bytes(NEW))
    await desk.upgrades.handle(first)
    server.blobs.clear()  # a second download would fail now
    again = Desk(tmp_path / "data")  # the old version, started again (say, switched back)
    again.releases.clear_pending()
    again.releases.point_current("")
    await again.upgrades.handle(first)
    assert again.states == ["downloading", "staged", "switching"]
