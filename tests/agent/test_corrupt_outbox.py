"""A corrupt outbox database: the file is set aside as ``outbox.sqlite3.corrupt-<time>`` with a
WARNING naming it, the messages SQLite can still read are kept in order, and the outbox goes
on storing on disk. It used to fall back to memory for good (every message lost at each
stop) for a file that is not a database, and to crash the agent for a damaged one."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from edge_agent.config import OutboxSettings
from edge_agent.link.outbox import Outbox

from .test_outbox import ACK, EVT, TELE, number, put

PAGE = 4096
SETTINGS = OutboxSettings()


def _box(path: Path) -> Outbox:
    return Outbox(path, SETTINGS, memory_max=100)


def _aside(path: Path) -> Path:
    companions = ("-wal", "-shm", "-journal")
    [aside] = [p for p in path.parent.glob(f"{path.name}.corrupt-*") if
               not p.name.endswith(companions)]  # fmt: skip
    return aside


@pytest.mark.parametrize("damage", ["garbage", "text", "truncated"])
def test_a_corrupt_outbox_is_set_aside_and_the_disk_used_again(
    tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = _box(path)
    for n in range(40):
        put(box, EVT, n, pad=300)
    box.close()
    if damage == "garbage":
        path.write_bytes(os.urandom(4 * PAGE))
    elif damage == "text":
        path.write_bytes(b"SQLite format 2\x00" + b"x" * PAGE)
    else:
        path.write_bytes(path.read_bytes()[: 2 * PAGE + 7])
    bad = path.read_bytes()
    with caplog.at_level(logging.WARNING, logger="edge_agent.link.outbox"):
        box = _box(path)
    aside = _aside(path)
    assert aside.read_bytes() == bad
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.levelno == logging.WARNING
    assert str(aside) in warning.getMessage() and "are lost" in warning.getMessage()
    # messages are stored on disk again: they survive a restart
    assert put(box, ACK, 1000)
    assert box.held_in_memory == 0
    box.close()
    again = _box(path)
    assert 1000 in [number(e) for e in again.after(0, 100)]
    assert not list(tmp_path.glob("*.corrupt-*-2"))  # no second recovery
    again.close()


def test_messages_on_intact_pages_are_kept_in_order(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = _box(path)
    for n in range(120):
        put(box, (ACK, EVT, TELE)[n % 3], n, pad=200)
    box.close()
    data = bytearray(path.read_bytes())
    middle = len(data) // PAGE // 2
    data[middle * PAGE : (middle + 1) * PAGE] = os.urandom(PAGE)
    path.write_bytes(bytes(data))
    box = _box(path)
    kept = [number(e) for e in box.after(0, 1000)]
    assert 0 < len(kept) < 120
    assert kept == sorted(kept) and kept[0] == 0  # the oldest first, in the order sent
    assert len(box) == len(kept)
    box.close()
