"""The demo starts the city 政务服务平台 simulator and points the cloud at it with credentials
that work: a cloud built from those settings finds the sample card's cases."""

from __future__ import annotations

from pathlib import Path

from cloud.kiosk.cases import CaseService
from cloud.settings import Settings
from kfleet.world.demo_kiosk_platforms import KioskPlatforms, with_kiosk_platforms
from simulators.city_platform import CityPlatformSim
from tests.kiosk.city_kit import WANG


async def test_the_demo_points_the_cloud_at_the_city_platform(tmp_path: Path) -> None:
    platforms = KioskPlatforms()
    async with with_kiosk_platforms(True, {}, platforms) as settings:
        assert isinstance(platforms.running["city_platform"], CityPlatformSim)
        wanted = {k: v for k, v in settings.items() if k.startswith("city_platform")}
        cloud = Settings(demo=True, data_dir=tmp_path, **wanted)
        service = CaseService.of(cloud, jobs=None, sessions=None)  # type: ignore[arg-type]
        try:
            page = await service.lookup(WANG[0], None, 1)
        finally:
            await service.close()
    assert page.total == 3 and {c.applicant for c in page.cases} == {WANG[1]}
