"""``kfleet sim haocha`` as an operator runs it: it listens, takes a signed rating from our
client with the app id and secret it was given, refuses the default ones, and Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from datetime import UTC, datetime

from cloud.hall.haocha.client import HttpHaochaPlatform
from cloud.hall.haocha.platform import Accepted, Submission, Unavailable
from tests.conftest import CLI_PROCESS_S

SIM = ["-m", "kfleet", "sim", "haocha", "--port", "0", "--app-id", "hall-app", "--secret", "s3"]
RATING = Submission(
    "kfleet-7", "qh/hx/golmud/hhl", "", "1", "", "", "", 5, [], "", "kiosk", datetime.now(UTC)
)


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
            ours = HttpHaochaPlatform(found[0], "hall-app", "s3", 5.0)
            default = HttpHaochaPlatform(found[0], "sim-app", "sim-secret", 5.0)
            got, refused = await ours.submit(RATING), await default.submit(RATING)
            await ours.aclose()
            await default.aclose()
            proc.send_signal(signal.SIGINT)
            out = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert isinstance(got, Accepted) and got.ref.startswith("HC")
    assert isinstance(refused, Unavailable) and refused.auth and "UnknownApp" in refused.reason
    assert code == 0 and "simulator stopped" in out and "Traceback" not in out
