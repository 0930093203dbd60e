"""``kfleet demo`` as a user runs it: Ctrl-C stops everything in order; a second Ctrl-C stops
at once instead of hanging in the middle of the orderly stop."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path


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
    async with asyncio.timeout(90):
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
