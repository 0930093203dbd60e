"""The content versions on PostgreSQL: publish, a stale version refused, two editors racing
for the same version (one wins: the unique constraint), rollback as a new version, and the
device read of the current plan — the queries SQLite forgives must hold here too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from fleet.access import PersonRole
from tests.access.kit import device_with_secret
from tests.faults.databases import fresh_postgres
from tests.hall.content_kit import HHL, TGLS, configure_site, content_cloud, plan, png, upload

pytestmark = pytest.mark.postgres
PUBLISH = "/api/v1/hall/content/floorplan/publish"


async def test_versions_race_rollback_and_device_read_on_postgres(
    tmp_path: Path, mosquitto_url: str, postgres_url: str, uid: str
) -> None:
    with fresh_postgres(postgres_url, f"kfcontent_{uid}") as url:
        async with content_cloud(tmp_path, mosquitto_url, database_url=url) as cloud:
            await configure_site(cloud)
            editor = await cloud.as_role(PersonRole.OPERATOR, HHL)
            r = await upload(editor, png())
            sha = r.json()["body"]["image"]["sha256"]
            site = {"site": HHL}
            bodies = [{"version": 1, "plan": plan(sha, [(n, 0.5, 0.5)])} for n in ("1", "2")]
            raced = await asyncio.gather(
                *(editor.post(PUBLISH, params=site, json=b) for b in bodies)
            )
            assert sorted(r.status_code for r in raced) == [201, 409]
            r = await editor.post(
                PUBLISH, params=site, json={"version": 1, "plan": bodies[0]["plan"]}
            )
            assert r.status_code == 409 and r.json()["code"] == "stale_version"
            assert (await editor.post(PUBLISH, params=site, json=bodies[1])).status_code == 409
            r = await editor.post(PUBLISH, params=site, json={"plan": plan(sha, [])})
            assert r.status_code == 201 and r.json()["version"] == 2
            r = await editor.post(
                "/api/v1/hall/content/floorplan/rollback", params={**site, "version": 1}
            )
            assert (r.status_code, r.json()["version"], r.json()["rolled_back_to"]) == (201, 3, 1)
            here = await cloud.client(await device_with_secret(cloud.parts, "pg-screen", HHL))
            there = await cloud.client(await device_with_secret(cloud.parts, "pg-other", TGLS))
            assert (await here.get(f"/api/v1/blobs/{sha}")).status_code == 200
            assert (await there.get(f"/api/v1/blobs/{sha}")).status_code == 403
