"""The 电子证照库 in the demo and by itself: the demo's platforms point the cloud at the
simulated library (and at the 公积金 department); ``kfleet sim license-library`` runs until
Ctrl-C and takes only our signature."""

from __future__ import annotations

import asyncio
import re
import signal
import sys

import pytest

from cloud.kiosk.departments.base import DepartmentAuthFailed, Person
from cloud.kiosk.license_library import HttpLicenseLibrary
from cloud.settings_kiosk import DepartmentEndpoint
from kfleet.world.demo_kiosk_platforms import KioskPlatforms, with_kiosk_platforms
from simulators.dept_people import WANG_XIAOMING
from simulators.license_library import LicenseLibrarySim
from tests.conftest import CLI_PROCESS_S

WANG = Person(WANG_XIAOMING.id_number, WANG_XIAOMING.name)
SIM = ("-m", "kfleet", "sim", "license-library", "--app-id", "lib-app", "--secret", "s3")


async def test_the_demo_points_the_cloud_at_the_library_and_the_fund_centre() -> None:
    platforms = KioskPlatforms()
    async with with_kiosk_platforms(True, {}, platforms) as settings:
        assert isinstance(platforms.running["license_library"], LicenseLibrarySim)
        assert "hpf" in settings["kiosk_departments"]
        library = HttpLicenseLibrary(DepartmentEndpoint.model_validate(settings["license_library"]))
        try:
            found, total, _ = await library.licences(WANG, 1)
            assert total >= 4 and found[0].name == "居民身份证"
        finally:
            await library.close()


async def test_kfleet_sim_license_library_runs_by_itself_and_stops_on_ctrl_c() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, *SIM, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    try:
        async with asyncio.timeout(CLI_PROCESS_S):
            line = (await proc.stdout.readline()).decode()
            found = re.search(r"http://127\.0\.0\.1:\d+", line)
            assert found, line
            ours = HttpLicenseLibrary(
                DepartmentEndpoint(url=found[0], app_id="lib-app", secret="s3")
            )
            other = HttpLicenseLibrary(
                DepartmentEndpoint(url=found[0], app_id="lib-app", secret="wrong")
            )
            _, total, _ = await ours.licences(WANG, 1)
            with pytest.raises(DepartmentAuthFailed):
                await other.licences(WANG, 1)
            await ours.close()
            await other.close()
            proc.send_signal(signal.SIGINT)
            out = (await proc.stdout.read()).decode()
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert total == 4 and code == 0 and "simulator stopped" in out and "Traceback" not in out
