"""``say`` never raises when the terminal is gone (``| tee`` killed by the same Ctrl-C)."""

from __future__ import annotations

import io
import os
import sys

import pytest

from kfleet.world.terminal import say


def test_a_broken_pipe_is_silenced_for_good(monkeypatch: pytest.MonkeyPatch) -> None:
    read_fd, write_fd = os.pipe()
    os.close(read_fd)  # the reader died: every write now fails with EPIPE
    stream = io.TextIOWrapper(io.FileIO(write_fd, "w"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        say("kfleet demo: stopping…")
        say("kfleet demo stopped.")
        stream.flush()  # what the interpreter does at exit must not fail either
        assert os.path.samefile(f"/proc/self/fd/{write_fd}", os.devnull)
    finally:
        stream.close()


def test_a_closed_stream_is_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    stream.close()
    monkeypatch.setattr(sys, "stderr", stream)
    say("kfleet demo: stopping at once.", err=True)


def test_a_working_terminal_gets_the_text(capsys: pytest.CaptureFixture[str]) -> None:
    say("ready")
    say("oops", err=True)
    assert capsys.readouterr() == ("ready\n", "oops\n")
