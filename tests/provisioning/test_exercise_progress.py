"""The technician's feedback while a test runs (a spinner with elapsed time, a countdown bar)
is drawn on a terminal only, never into ``--json`` or a pipe; and the frame tap cuts the
serial stream into frames the same way however it is chunked."""

from __future__ import annotations

import io

from rich.console import Console

from protocols.serial_frames import ButtonEvt, ButtonKind, Heartbeat, encode_message
from provisioning.exercise_frames import FrameTap
from provisioning.exercise_progress import Feedback


def terminal() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


async def test_the_countdown_shows_a_bar_and_the_seconds_left() -> None:
    console, out = terminal()
    feedback = Feedback(enabled=True, console=console)
    async with feedback.countdown("press a button", 30):
        pass
    drawn = out.getvalue()
    assert "press a button" in drawn and "30 s left" in drawn and "━" in drawn


def test_the_spinner_shows_what_and_the_elapsed_time() -> None:
    console, out = terminal()
    with Feedback(enabled=True, console=console).spinner("printing the test receipt"):
        pass
    assert "printing the test receipt" in out.getvalue() and "0:00:00" in out.getvalue()


async def test_nothing_is_drawn_when_disabled_or_not_a_terminal() -> None:
    for feedback, out in (
        (Feedback(enabled=False, console=terminal()[0]), None),
        (Feedback(enabled=True, console=Console(file=(plain := io.StringIO()))), plain),
    ):
        assert feedback.enabled is False
        with feedback.spinner("x"):
            pass
        async with feedback.countdown("y", 5):
            pass
        if out is not None:
            assert out.getvalue() == ""


def test_the_tap_cuts_frames_the_same_whatever_the_chunks() -> None:
    hb = Heartbeat(device="call_button", fw="CB-1", interval_ms=1000, uptime_ms=5)
    press = ButtonEvt(button=4, kind=ButtonKind.PRESS, t=9)
    stream = (
        b"\x99\x03"  # the tail of a frame torn when the port opened: ignored
        + encode_message(0, hb)
        + b"\x55\x66"  # line noise between frames
        + encode_message(1, press)
        + encode_message(2, press, corrupt_crc=True)
    )
    for size in (1, 3, len(stream)):
        tap = FrameTap()
        for i in range(0, len(stream), size):
            tap.feed(stream[i : i + size])
        kinds = [f.describe() for f in tap.frames]
        assert kinds[:3] == ["Heartbeat", "garbage (2 bytes outside any frame)", "ButtonEvt"]
        assert kinds[3].startswith("bad_crc")
        assert tap.bad.is_set()
        first_bad = tap.first_bad()
        assert first_bad is not None and first_bad.raw == b"\x55\x66"
        good = tap.last_of(ButtonEvt.TYPE)
        assert good is not None and good.raw == encode_message(1, press)
