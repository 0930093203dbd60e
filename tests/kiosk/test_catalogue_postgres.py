"""The catalogue on PostgreSQL: two publications racing for the same version (one wins, the
other is a 409 and publishes nothing), two editors saving the same revision (one wins), the
JSON documents, an import and the device read — what SQLite forgives must hold here too."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from fleet.access import PersonRole
from tests.access.kit import device_with_secret
from tests.faults.databases import fresh_postgres
from tests.kiosk.catalogue_kit import catalogue_cloud, departments, item, seed, themes

pytestmark = pytest.mark.postgres


async def test_races_import_and_device_read_on_postgres(
    tmp_path: Path, mosquitto_url: str, postgres_url: str, uid: str
) -> None:
    with fresh_postgres(postgres_url, f"kfguide_{uid}") as url:
        async with catalogue_cloud(tmp_path, mosquitto_url, database_url=url) as cloud:
            editor = await cloud.as_role(PersonRole.OPERATOR)
            await seed(editor)
            raced = await asyncio.gather(
                *(editor.post("/api/v1/guide/publish", json={"note": n}) for n in "ab")
            )
            assert sorted(r.status_code for r in raced) == [201, 409], [r.text for r in raced]
            lost = next(r for r in raced if r.status_code == 409)
            assert lost.json()["code"] == "guide_stale_version"
            versions = (await editor.get("/api/v1/guide/versions")).json()["versions"]
            assert [v["version"] for v in versions] == [1]

            saves = await asyncio.gather(
                *(
                    editor.put(
                        "/api/v1/guide/items/gaoling", params={"revision": 1}, json=item(fees=f)
                    )
                    for f in ("甲", "乙", "丙", "丁", "戊", "己")
                )
            )
            assert sorted(r.status_code for r in saves) == [200, 409, 409, 409, 409, 409]
            kept = (await editor.get("/api/v1/guide/items/gaoling")).json()
            winner = next(r for r in saves if r.status_code == 200).json()["item"]["fees"]
            assert (kept["revision"], kept["item"]["fees"]) == (2, winner)

            doc = {"departments": departments(), "themes": themes(), "items": [item("hukou")]}
            r = await editor.post(
                "/api/v1/guide/import",
                params={"format": "json"},
                files={"file": ("c.json", json.dumps(doc).encode(), "application/json")},
            )
            assert r.status_code == 200 and r.json()["created"] == 1, r.text
            published = (await editor.post("/api/v1/guide/publish")).json()
            assert (published["version"], published["items"]) == (2, 2)
            kiosk = await cloud.client(await device_with_secret(cloud.parts, "pg-kiosk"))
            r = await kiosk.get("/api/v1/kiosk/catalogue")
            assert r.status_code == 200 and r.headers["etag"] == '"2"'
            assert (await kiosk.get(f"/api/v1/blobs/{published['blob_sha256']}")).is_success
