"""``kfleet sim city-platform`` as an operator runs it: it listens, answers our adapter signed
with the app id and secret it was given, refuses the default ones, and Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest

from cloud.kiosk.city_platform import CityPlatform
from cloud.kiosk.city_platform_errors import CityPlatformAuthFailed
from tests.conftest import CLI_PROCESS_S
from tests.kiosk.city_kit import WANG

SIM = ["-m", "kfleet", "sim", "city-platform", "--port", "0", "--app-id", "ours", "--secret", "s3"]


async def _use(url: str) -> int:
    ours = CityPlatform(url, "ours", "s3", 5.0)
    default = CityPlatform(url, "sim-city-app", "sim-city-secret", 5.0)
    try:
        total = (await ours.cases_of(WANG[0], 1, 10)).total
        with pytest.raises(CityPlatformAuthFailed):
            await default.cases_of(WANG[0], 1, 10)
        return total
    finally:
        await ours.close()
        await default.close()


async def test_the_simulator_runs_by_itself_and_stops_on_ctrl_c() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *SIM, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(CLI_PROCESS_S):
            line = (await proc.stdout.readline()).decode()
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert found, line
            total = await _use(found[0])
            proc.send_signal(signal.SIGINT)
            out = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert total == 3 and "seeded cases" in line
    assert code == 0 and "simulator stopped" in out and "Traceback" not in out
