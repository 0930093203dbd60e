"""The application adapter (cloud/kiosk/apply_platform.py) against the city platform
simulator's application API: files and an application round-trip; a repeat is the same case;
each refusal and fault is the error the kiosk explains (timeout, maintenance, wrong secret,
malformed answer, an unknown file, content that does not match its digest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cloud.kiosk import apply_platform
from cloud.kiosk.apply_platform import MaterialFiles
from cloud.kiosk.city_platform_errors import (
    CaseRefused,
    CityPlatformAuthFailed,
    CityPlatformBadAnswer,
    CityPlatformMaintenance,
    CityPlatformTimeout,
)
from simulators.city_platform_apply import ApplyDesk
from tests.kiosk.city_kit import WANG, sim_and_adapter

PAGE = b"\xff\xd8\xff\xe0a scanned page"


def application(serial: str = "kiosk-1:apply-0001") -> dict[str, Any]:
    return {
        "bizSerialNo": serial,
        "itemCode": "SI-PENSION-CLAIM",
        "itemName": "城乡居民养老保险待遇领取申请",
        "deptName": "格尔木市人力资源和社会保障局",
        "hallName": "黄河路街道办事处便民服务中心",
        "certNo": WANG[0],
        "applicantName": WANG[1],
        "formCode": "pension-claim",
        "formVersion": 1,
        "formData": {"phone": "13800001234"},
    }


async def test_files_and_an_application_make_a_case_the_case_api_finds() -> None:
    async with sim_and_adapter() as (sim, platform):
        file_id = await apply_platform.upload_file(platform, "id-1.jpg", "image/jpeg", PAGE)
        filed = await apply_platform.submit(
            platform, application(), [MaterialFiles("id_card", "身份证", [file_id])]
        )
        assert filed.case_no.startswith("GEMZZ") and not filed.repeated
        assert sim.apply.applications["kiosk-1:apply-0001"].materials["id_card"][0].content == PAGE
        case = await platform.case(filed.case_no)
        assert (case.status, case.item) == ("SB", "城乡居民养老保险待遇领取申请")
        assert (await platform.cases_of(WANG[0], 1, 10)).cases[0].case_no == (filed.case_no)
        again = await apply_platform.submit(
            platform, application(), [MaterialFiles("id_card", "身份证", [file_id])]
        )
        assert again.case_no == filed.case_no and again.repeated
        assert len(sim.apply.applications) == 1


async def test_an_unknown_file_is_refused_by_the_platform() -> None:
    async with sim_and_adapter() as (_, platform):
        with pytest.raises(CaseRefused) as err:
            await apply_platform.submit(
                platform, application(), [MaterialFiles("id_card", "身份证", ["F99999999"])]
            )
        assert err.value.reason == "20014"


async def test_faults_are_the_kiosks_errors() -> None:
    async with sim_and_adapter(timeout_s=0.3) as (sim, platform):
        sim.stall_s = 1.0
        with pytest.raises(CityPlatformTimeout):
            await apply_platform.upload_file(platform, "p.jpg", "image/jpeg", PAGE)
        sim.stall_s = 0.0
        sim.maintenance_until = datetime.now(UTC) + timedelta(minutes=5)
        with pytest.raises(CityPlatformMaintenance):
            await apply_platform.upload_file(platform, "p.jpg", "image/jpeg", PAGE)
        sim.maintenance_until = None
        sim.malformed = True
        with pytest.raises(CityPlatformBadAnswer):
            await apply_platform.upload_file(platform, "p.jpg", "image/jpeg", PAGE)
    async with sim_and_adapter(secret="wrong") as (_, platform):
        with pytest.raises(CityPlatformAuthFailed):
            await apply_platform.upload_file(platform, "p.jpg", "image/jpeg", PAGE)


def test_content_that_does_not_match_its_digest_is_refused() -> None:
    status, body = ApplyDesk().material(
        {"fileName": "p.jpg", "mediaType": "image/jpeg", "sha256": "0" * 64, "content": "AAAA"}
    )
    assert (status, body["code"]) == (200, "20011")
