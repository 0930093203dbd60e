"""``kfleet-agent-launch`` as a real process running fake agents (``upgrade_kit``): a new
version that says ``healthy`` in its window stays; one that crashes, or stays silent past its
window, is stopped and the previous version runs again, told why (``pending.json``); one agent
process at a time, always; SIGTERM ends the launcher and its agent."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_agent.upgrade.launcher import data_dir_of
from edge_agent.upgrade.layout import HEALTHY, ROLLBACK, Pending, Releases
from tests.faults.procs import eventually

from .upgrade_kit import fake_release

OLD, NEW = "1.0.0", "2.0.0"


class World:
    def __init__(self, tmp_path: Path) -> None:
        self.data = tmp_path / "data"
        self.releases = Releases.of(self.data)
        self.config = tmp_path / "agent.toml"
        self.config.write_text('data_dir = "data"\n')  # relative: resolved beside the file
        self.log = tmp_path / "launcher.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def starts(self) -> list[tuple[str, str]]:
        """(version, pid) of every agent start, in order."""
        path = self.data / "starts.log"
        lines = path.read_text().splitlines() if path.exists() else []
        return [(line.split()[0], line.split()[1]) for line in lines]

    def launch(self) -> None:
        argv = [sys.executable, "-m", "edge_agent.upgrade.launcher", "--config", str(self.config)]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)

    def switch_to(self, version: str, window_s: float) -> None:
        """What the old agent does on an order: plan, swap ``current``, stop."""
        self.releases.write_pending(
            Pending(
                rollout_id="r-1",
                version=version,
                previous_version=OLD,
                previous_release=OLD,
                health_window_s=window_s,
            )
        )
        self.releases.point_current(version)

    async def started(self, n: int) -> list[tuple[str, str]]:
        async def probe() -> list[tuple[str, str]] | None:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            got = self.starts()
            return got if len(got) >= n else None

        return await eventually(probe, 30, f"{n} agent starts")

    def children(self) -> list[int]:
        assert self.proc is not None
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(p) for p in path.read_text().split()]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = World(tmp_path)
    w.data.mkdir()
    fake_release(w.releases.root, OLD, "good", w.data)
    w.releases.point_current(OLD)
    yield w
    if w.proc is not None and w.proc.poll() is None:
        w.proc.send_signal(signal.SIGTERM)
        w.proc.wait(20)


def test_the_launcher_reads_data_dir_as_the_agent_does(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('data_dir = "var/kf"\n')
    assert data_dir_of(config) == (tmp_path / "var" / "kf").resolve()


async def test_a_healthy_new_version_stays(world: World) -> None:
    fake_release(world.releases.root, NEW, "good", world.data)
    world.launch()
    (old, old_pid), *_ = await world.started(1)
    assert old == OLD
    world.switch_to(NEW, window_s=20)
    os.kill(int(old_pid), signal.SIGTERM)  # the old agent stops itself after the switch
    starts = await world.started(2)
    assert [v for v, _ in starts] == [OLD, NEW]

    async def settled() -> bool | None:
        return True if world.releases.read_pending() is None else None

    await eventually(settled, 30, "the switch to be settled")
    assert world.releases.current_release() == NEW
    assert world.children() == [int(starts[1][1])]  # one agent, the new one


@pytest.mark.parametrize(
    ("behaviour", "reason"), [("crash", "crashed"), ("hang", "health_timeout")]
)
async def test_a_new_version_not_healthy_in_its_window_is_switched_back(
    world: World, behaviour: str, reason: str
) -> None:
    fake_release(world.releases.root, NEW, behaviour, world.data)
    world.launch()
    (_, old_pid), *_ = await world.started(1)
    world.switch_to(NEW, window_s=2)
    os.kill(int(old_pid), signal.SIGTERM)
    starts = await world.started(3)
    assert [v for v, _ in starts[:3]] == [OLD, NEW, OLD]
    assert world.releases.current_release() == OLD
    back = world.releases.read_pending()  # for the old agent to report, then clear
    assert back is not None and back.state == "rolled_back" and back.reason == reason
    assert world.releases.verdict() == ROLLBACK
    assert world.children() == [int(starts[2][1])]  # the new version is gone
    with pytest.raises(ProcessLookupError):
        os.kill(int(starts[1][1]), 0)


async def test_a_verdict_reached_while_no_launcher_watched_is_kept(world: World) -> None:
    fake_release(world.releases.root, NEW, "hang", world.data)
    world.switch_to(NEW, window_s=1)
    assert world.releases.claim_verdict(HEALTHY) == HEALTHY  # then the device lost power
    world.launch()
    await world.started(1)
    assert world.releases.read_pending() is None
    assert world.releases.current_release() == NEW
    assert [v for v, _ in world.starts()] == [NEW]


async def test_sigterm_stops_the_launcher_and_its_agent(world: World) -> None:
    world.launch()
    (_, pid), *_ = await world.started(1)
    assert world.proc is not None
    world.proc.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(world.proc.wait, 20) == 0
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)


def _ended(pid: int) -> bool:
    """Gone, or a zombie (whoever inherited the orphan may not have reaped it yet)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return any(line.split()[1] == "Z" for line in status.splitlines() if line.startswith("State:"))


async def test_an_agent_does_not_outlive_a_sigkilled_launcher(world: World) -> None:
    """A launcher killed outright (SIGKILL, the OOM killer) cannot pass anything on: its agent
    is told by the kernel (the parent-death signal) and stops, instead of running on
    unsupervised and holding the data directory's lock against the next launcher."""
    world.launch()
    (_, pid), *_ = await world.started(1)
    assert world.proc is not None
    world.proc.kill()
    await asyncio.to_thread(world.proc.wait, 20)

    async def agent_ended() -> bool | None:
        return True if _ended(int(pid)) else None

    await eventually(agent_ended, 30, "the orphaned agent to stop")
