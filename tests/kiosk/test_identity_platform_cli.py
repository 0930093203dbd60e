"""``kfleet sim identity-platform`` as an operator runs it: it listens, answers our adapter with
the phone on file when it sends the token the simulator was given, refuses another token, and
Ctrl-C stops it."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest
from pydantic import SecretStr

from cloud.kiosk.identity_platform import IdentityPlatform, IdentityUnavailable
from cloud.settings import Settings
from simulators.idcard_reader import SAMPLE_CARDS
from simulators.identity_platform import SAMPLE_PHONES
from tests.conftest import CLI_PROCESS_S

SIM = ["-m", "kfleet", "sim", "identity-platform", "--port", "0", "--token", "t0ken"]


async def _use(url: str) -> str:
    ours = IdentityPlatform(
        Settings(kiosk_identity_url=url, kiosk_identity_token=SecretStr("t0ken"))
    )
    other = IdentityPlatform(
        Settings(kiosk_identity_url=url, kiosk_identity_token=SecretStr("sim-identity-token"))
    )
    card = SAMPLE_CARDS[0]
    try:
        phone = await ours.phone_of(card.id_number, card.name)
        with pytest.raises(IdentityUnavailable):
            await other.phone_of(card.id_number, card.name)
        return phone
    finally:
        await ours.close()
        await other.close()


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
            phone = await _use(found[0])
            proc.send_signal(signal.SIGINT)
            out = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert phone == SAMPLE_PHONES[0] and "4 people on file" in line
    assert code == 0 and "simulator stopped" in out and "Traceback" not in out
