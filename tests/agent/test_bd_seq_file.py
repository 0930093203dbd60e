"""The session counter (``bd_seq``) on disk: a corrupt file is set aside with a WARNING and
the number never goes back — the cloud takes a birth whose ``bd_seq`` it already saw end for
a stale copy and would keep the device offline (protocol §5). It used to restart at 0."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge_agent.link.reconnect import BD_SEQ_BACKUP, BD_SEQ_FILE, BdSeqError, next_bd_seq

GARBAGE = [b"", b"\n", b"\x00\x00\x00\x00", b"\xff\xfe4\x002\x00", b"-5\n", b"12abc\n",
           b"4 2\n", b"\xd9\xa4\xd9\xa2\n", b"1" * 30 + b"\n"]  # fmt: skip


def _aside(data: Path, name: str = BD_SEQ_FILE) -> list[Path]:
    return sorted(data.glob(f"{name}.corrupt-*"))


def test_a_fresh_directory_counts_from_zero_and_keeps_two_copies(tmp_path: Path) -> None:
    assert [next_bd_seq(tmp_path) for _ in range(3)] == [0, 1, 2]
    assert (tmp_path / BD_SEQ_FILE).read_text() == "2\n"
    assert (tmp_path / BD_SEQ_BACKUP).read_text() == "2\n"


@pytest.mark.parametrize("garbage", GARBAGE, ids=repr)
def test_a_corrupt_counter_is_set_aside_and_the_backup_continues(
    tmp_path: Path, garbage: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / BD_SEQ_FILE).write_bytes(garbage)
    (tmp_path / BD_SEQ_BACKUP).write_text("41\n")
    with caplog.at_level(logging.WARNING, logger="edge_agent.link.reconnect"):
        assert next_bd_seq(tmp_path) == 42  # not 0: sessions 0..41 happened
    [aside] = _aside(tmp_path)
    assert aside.read_bytes() == garbage  # kept for an engineer, byte for byte
    warning = caplog.records[0]
    assert warning.levelno == logging.WARNING
    assert str(aside) in warning.getMessage() and "is lost" in warning.getMessage()
    assert next_bd_seq(tmp_path) == 43


def test_without_a_readable_copy_the_clock_continues(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An agent of the version before the backup: only ``bd_seq``, and it is garbage."""
    (tmp_path / BD_SEQ_FILE).write_bytes(b"\x00" * 16)
    before_us = time.time_ns() // 1000
    with caplog.at_level(logging.WARNING, logger="edge_agent.link.reconnect"):
        value = next_bd_seq(tmp_path)
    assert value >= before_us  # above any number counted one by one since 1970
    assert len(_aside(tmp_path)) == 1
    assert any("from the clock" in r.getMessage() for r in caplog.records)
    assert next_bd_seq(tmp_path) == value + 1


def test_both_copies_corrupt_are_both_set_aside(tmp_path: Path) -> None:
    (tmp_path / BD_SEQ_FILE).write_bytes(b"garbage")
    (tmp_path / BD_SEQ_BACKUP).write_bytes(b"\xff")
    assert next_bd_seq(tmp_path) >= time.time_ns() // 1000 - 10**7
    assert len(_aside(tmp_path)) == 1 and len(_aside(tmp_path, BD_SEQ_BACKUP)) == 1


def test_a_counter_rolled_back_by_hand_does_not_go_back(tmp_path: Path) -> None:
    (tmp_path / BD_SEQ_FILE).write_text("3\n")  # e.g. restored from an old image
    (tmp_path / BD_SEQ_BACKUP).write_text("41\n")
    assert next_bd_seq(tmp_path) == 42
    (tmp_path / BD_SEQ_FILE).unlink()
    assert next_bd_seq(tmp_path) == 43  # the backup alone still knows


def test_an_unwritable_directory_is_a_clear_error(tmp_path: Path) -> None:
    next_bd_seq(tmp_path)
    (tmp_path / f"{BD_SEQ_FILE}.tmp").mkdir()  # the temporary file cannot be created
    with pytest.raises(BdSeqError, match="cannot store the session counter"):
        next_bd_seq(tmp_path)


#: what may happen to the files between two connects
DAMAGE = st.sampled_from(["none", "garble main", "garble backup", "garble both", "lose main"])


@settings(max_examples=40, deadline=None)
@given(st.lists(DAMAGE, min_size=1, max_size=12))
def test_whatever_happens_to_one_file_the_number_never_goes_back(damage: list[str]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        seen = [next_bd_seq(data)]
        for what in damage:
            _damage(data, what)
            seen.append(next_bd_seq(data))
        assert seen == sorted(set(seen)), seen  # strictly increasing


def _damage(data: Path, what: str) -> None:
    main, backup = data / BD_SEQ_FILE, data / BD_SEQ_BACKUP
    if what in ("garble main", "garble both"):
        main.write_bytes(os.urandom(3) + b"x")
    if what in ("garble backup", "garble both"):
        backup.write_bytes(b"not a number")
    if what == "lose main":
        main.unlink()
