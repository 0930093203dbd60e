"""``kfleet demo`` as a user runs it: Ctrl-C stops everything in order; a second Ctrl-C stops
at once instead of hanging in the middle of the orderly stop; neither depends on the demo
being able to write its output."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLI_PROCESS_S

DEMO = [sys.executable, "-m", "kfleet", "demo", "--port", "0"]
Closer = Callable[[], None]


async def _started_demo(data_dir: Path) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "kfleet",
        "demo",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert proc.stdout is not None
    async with asyncio.timeout(CLI_PROCESS_S):
        while b"Press Ctrl-C to stop." not in await proc.stdout.readline():
            pass
    return proc


async def _finish(proc: asyncio.subprocess.Process, within_s: float) -> tuple[int, str]:
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(within_s):
            out = await proc.stdout.read()
            code = await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    return code, out.decode(errors="replace")


async def test_ctrl_c_stops_the_demo_in_order(tmp_path: Path) -> None:
    proc = await _started_demo(tmp_path)
    proc.send_signal(signal.SIGINT)
    code, out = await _finish(proc, 60)
    assert code == 0, out
    assert "kfleet demo stopped." in out
    assert "Traceback" not in out


async def test_a_second_ctrl_c_stops_at_once(tmp_path: Path) -> None:
    proc = await _started_demo(tmp_path)
    proc.send_signal(signal.SIGINT)
    assert proc.stdout is not None
    async with asyncio.timeout(10):
        while b"Ctrl-C again" not in await proc.stdout.readline():
            pass
    proc.send_signal(signal.SIGINT)
    code, out = await _finish(proc, 10)
    assert code == 130, out
    assert "Traceback" not in out


async def _started_demo_into_pipe(data_dir: Path) -> tuple[asyncio.subprocess.Process, Closer]:
    """The demo as ``kfleet demo 2>&1 | tee demo.log`` runs it; the closer plays tee's death
    (it closes the pipe's only read end at once, so the demo's next write fails with EPIPE)."""
    read_fd, write_fd = os.pipe()
    proc = await asyncio.create_subprocess_exec(
        *DEMO, "--data-dir", str(data_dir), stdout=write_fd, stderr=write_fd
    )
    os.close(write_fd)
    output = os.fdopen(read_fd, "rb")

    def read_to_banner() -> None:
        for line in output:
            if b"Press Ctrl-C to stop." in line:
                return
        raise AssertionError("the demo ended before it was ready")

    try:
        async with asyncio.timeout(90):
            await asyncio.to_thread(read_to_banner)
    except BaseException:
        proc.kill()  # the reading thread then sees the end of the pipe
        await proc.wait()
        raise
    return proc, output.close


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
async def test_the_demo_stops_when_its_output_is_gone(tmp_path: Path, sig: signal.Signals) -> None:
    """``| tee`` dies with the same Ctrl-C: every write now fails with EPIPE, and the demo
    must still stop (it used to print before setting its stop flag, and hung)."""
    proc, close_reader = await _started_demo_into_pipe(tmp_path)
    close_reader()  # before the signal: the demo must find its output gone
    proc.send_signal(sig)
    try:
        async with asyncio.timeout(60):
            code = await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"the demo ignored {sig.name} once its output was gone") from None
    assert code == 0
