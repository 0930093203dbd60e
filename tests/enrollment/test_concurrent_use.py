"""A token is single use even when several devices present it at the same moment: exactly
one enrollment wins, on SQLite and on PostgreSQL (where the requests really overlap)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select

from cloud.db.identity import AuditEntry, DeviceCredential
from cloud.db.models import Device
from cloud.settings import Settings
from tests.enrollment.kit import SECRET, enroll, enrollment_cloud, mint

RACERS = 8


async def test_concurrent_uses_of_one_token_one_wins(
    tmp_path: Path, mosquitto_url: str, database_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, mqtt_url=mosquitto_url, secret_key=SECRET
    )
    async with enrollment_cloud(settings) as cloud:
        assert cloud.parts.settings.is_sqlite is (database_url == "")
        for round_ in range(3):  # a few rounds: the overlap differs each time
            token = (await mint(cloud))["token"]
            answers = await asyncio.gather(
                *(enroll(cloud, token, f"race-{round_}-{i}") for i in range(RACERS))
            )
            statuses = sorted(r.status_code for r in answers)
            assert statuses == [200] + [409] * (RACERS - 1), [r.text for r in answers]
            assert {r.json()["code"] for r in answers if r.status_code == 409} == {"token_used"}
        async with cloud.parts.sessions() as s:
            devices = await s.scalar(select(func.count()).select_from(Device))
            creds = await s.scalar(select(func.count()).select_from(DeviceCredential))
            enrolled = await s.scalar(
                select(func.count()).where(AuditEntry.action == "device.enroll")
            )
    assert (devices, creds, enrolled) == (3, 3, 3)


async def test_two_tokens_racing_for_one_new_device_id_one_wins(
    tmp_path: Path, mosquitto_url: str, database_url: str
) -> None:
    """Two devices that picked the same id, enrolling at the same moment with two tokens: one
    gets the id, the other a device_conflict — and its token is left unused for a retry."""
    settings = Settings(
        data_dir=tmp_path, database_url=database_url, mqtt_url=mosquitto_url, secret_key=SECRET
    )
    async with enrollment_cloud(settings) as cloud:
        first, second = await mint(cloud), await mint(cloud)
        answers = await asyncio.gather(
            enroll(cloud, first["token"], "same-id"), enroll(cloud, second["token"], "same-id")
        )
        assert sorted(r.status_code for r in answers) == [200, 409], [r.text for r in answers]
        loser = next(r for r in answers if r.status_code == 409)
        assert loser.json()["code"] == "device_conflict", loser.text
        r = await cloud.http.get("/api/v1/enrollment-tokens", headers=cloud.admin)
        states = sorted(t["state"] for t in r.json()["items"])
    assert states == ["unused", "used"]
