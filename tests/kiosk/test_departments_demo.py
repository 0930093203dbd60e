"""The departments as the demo and an operator start them: the demo's starters point the cloud
at all seven simulators with credentials that work, and ``kfleet sim dept`` runs one by
itself, takes our signed calls with the credentials it was given and stops on Ctrl-C."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest

from cloud.kiosk.departments import MODULES, police
from cloud.kiosk.departments.base import DepartmentAuthFailed
from cloud.settings_kiosk import DepartmentEndpoint
from kfleet.world.demo_kiosk_platforms import KioskPlatforms, with_kiosk_platforms
from tests.conftest import CLI_PROCESS_S
from tests.kiosk.departments_kit import CASES

SIM = ["-m", "kfleet", "sim", "dept", "--code", "police", "--app-id", "gaj-app", "--secret", "s3"]


async def test_the_demo_points_the_cloud_at_every_department() -> None:
    platforms = KioskPlatforms()
    async with with_kiosk_platforms(True, {}, platforms) as settings:
        endpoints = {
            c: DepartmentEndpoint.model_validate(e)
            for c, e in settings["kiosk_departments"].items()
        }
        assert set(endpoints) == {m.__name__.rsplit(".", 1)[1] for m in MODULES}
        assert set(endpoints) <= set(platforms.running)
        for module in MODULES:
            code = module.__name__.rsplit(".", 1)[1]
            adapter = module.build(endpoints[code])
            operation, person, inputs = CASES[code].success
            try:
                assert (await adapter.query(operation, person, inputs, 1, 5)).rows
            finally:
                await adapter.close()


async def test_kfleet_sim_dept_runs_by_itself_and_stops_on_ctrl_c() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *SIM, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    operation, person, inputs = CASES["police"].success
    try:
        async with asyncio.timeout(CLI_PROCESS_S):
            line = (await proc.stdout.readline()).decode()
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert found, line
            ours = police.build(DepartmentEndpoint(url=found[0], app_id="gaj-app", secret="s3"))  # type: ignore[arg-type]
            other = police.build(
                DepartmentEndpoint(url=found[0], app_id="sim-app", secret="sim-secret")
            )  # type: ignore[arg-type]
            got = await ours.query(operation, person, inputs, 1, 5)
            with pytest.raises(DepartmentAuthFailed):
                await other.query(operation, person, inputs, 1, 5)
            await ours.close()
            await other.close()
            proc.send_signal(signal.SIGINT)
            out = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert got.rows[0]["station"] == "黄河路派出所"
    assert code == 0 and "simulator stopped" in out and "Traceback" not in out
