"""``kfleet sim icbc`` / ``kfleet sim ccb`` as an operator runs them: they listen, write the
settings (with fresh keys) the cloud loads, a channel built from those settings opens a trade,
and Ctrl-C stops them."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import pytest
from dotenv import dotenv_values

from cloud.kiosk.pay.channel import ChannelOrder
from cloud.kiosk.pay.channels import CHANNEL_BUILDERS
from cloud.settings import Settings
from tests.conftest import CLI_PROCESS_S


@pytest.mark.parametrize("bank", ["icbc", "ccb"])
async def test_the_simulator_runs_by_itself_and_stops_on_ctrl_c(bank: str, tmp_path: Path) -> None:
    args = ["-m", "kfleet", "sim", bank, "--port", "0", "--keys-dir", str(tmp_path)]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(CLI_PROCESS_S):
            line = (await proc.stdout.readline()).decode()
            assert re.search(r"http://127\.0\.0\.1:\d+", line), line
            env = {
                k.removeprefix("KFLEET_").lower(): v
                for k, v in dotenv_values(tmp_path / f"{bank}.env").items()
            }
            channel = CHANNEL_BUILDERS[bank](Settings(**env))  # type: ignore[arg-type]
            assert channel is not None
            order = ChannelOrder("KFCLI1", 100, "test", "http://127.0.0.1:9/n", 60)
            qr = (await channel.precreate(order)).qr_content
            await channel.aclose()
            proc.send_signal(signal.SIGINT)
            out = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert "/pay/" in qr
    assert (tmp_path / f"{bank}.env").stat().st_mode & 0o077 == 0
    assert code == 0 and "simulator stopped" in out and "Traceback" not in out
