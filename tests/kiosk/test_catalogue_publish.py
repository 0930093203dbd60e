"""Publishing: drafts left out, items with problems refused (nothing published), each
publication a blob whose bytes the kiosk route serves with its version as ETag; devices read
the newest two publications' blobs and no older; the service's ``current()``/``item()``."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.kiosk.catalogue_service import CatalogueService
from protocols.guide import Catalogue
from tests.access.kit import AccessCloud, device_with_secret
from tests.kiosk.catalogue_kit import admin, catalogue_cloud, item, seed


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[AccessCloud]:
    async with catalogue_cloud(tmp_path, mosquitto_url) as c:
        yield c


def service(cloud: AccessCloud) -> CatalogueService:
    got = cloud.parts.kiosk.catalogue
    assert got is not None
    return got


async def test_a_publication_is_served_to_kiosks_byte_for_byte(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    await seed(http, "gaoling", "hukou")
    r = await http.post("/api/v1/guide/items", json=item("unfinished"), params={"draft": "1"})
    assert r.status_code == 201
    r = await http.post("/api/v1/guide/publish", json={"note": "first"})
    assert r.status_code == 201, r.text
    version = r.json()
    assert (version["version"], version["items"], version["current"]) == (1, 2, True)

    kiosk = await cloud.client(await device_with_secret(cloud.parts, "k-pub"))
    got = await kiosk.get("/api/v1/kiosk/catalogue")
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert hashlib.sha256(got.content).hexdigest() == version["blob_sha256"]
    cat = Catalogue.model_validate_json(got.content)
    assert [i.code for i in cat.items] == ["gaoling", "hukou"]  # the draft stays out
    assert [d.code for d in cat.departments] == ["civil", "police"] and not cat.sample
    again = await kiosk.get("/api/v1/kiosk/catalogue", headers={"If-None-Match": '"1"'})
    assert again.status_code == 304 and again.content == b""
    blob = await kiosk.get(f"/api/v1/blobs/{version['blob_sha256']}")
    assert blob.status_code == 200 and blob.content == got.content
    rows = await cloud.audit_rows("guide.publish")
    assert [(a.target, a.detail["items"]) for a in rows] == [("catalogue:1", 2)]


async def test_only_the_newest_two_publications_are_readable_by_devices(
    cloud: AccessCloud,
) -> None:
    http = await admin(cloud)
    await seed(http)
    shas = []
    for n in range(3):
        assert (await http.put("/api/v1/guide/items/gaoling", json=item(fees=f"{n}元"))).is_success
        shas.append((await http.post("/api/v1/guide/publish")).json()["blob_sha256"])
    kiosk = await cloud.client(await device_with_secret(cloud.parts, "k-old"))
    assert [(await kiosk.get(f"/api/v1/blobs/{s}")).status_code for s in shas] == [403, 200, 200]
    listed = (await http.get("/api/v1/guide/versions")).json()["versions"]
    assert [(v["version"], v["current"]) for v in listed] == [(3, True), (2, False), (1, False)]


async def test_items_with_problems_stop_the_publication(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    r = await http.post("/api/v1/guide/publish")
    assert r.status_code == 409 and "nothing to publish" in r.json()["message"], r.text
    assert r.json()["code"] == "guide_nothing_to_publish"
    await seed(http)
    broken = item("broken")
    broken["materials"][2]["when"] = [{"nosuch": "a90"}]
    assert (await http.post("/api/v1/guide/items", json=broken)).status_code == 201
    r = await http.post("/api/v1/guide/publish")
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert [e["loc"] for e in errors] == [["items", "broken"]]
    assert "question nosuch" in errors[0]["msg"]
    assert (await http.get("/api/v1/guide/versions")).json() == {"versions": []}
    kiosk = await cloud.client(await device_with_secret(cloud.parts, "k-none"))
    r = await kiosk.get("/api/v1/kiosk/catalogue")
    assert r.status_code == 404 and r.json()["code"] == "guide_not_published"
    assert "办事指南" in r.json()["citizen_message"]
    # marked draft, it no longer stops the others
    assert (await http.put("/api/v1/guide/items/broken?draft=true", json=broken)).is_success
    assert (await http.post("/api/v1/guide/publish")).status_code == 201


async def test_current_and_item_follow_the_newest_publication(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    svc = service(cloud)
    assert await svc.current() is None and await svc.item("gaoling") is None
    await seed(http)
    await http.post("/api/v1/guide/publish")
    first = await svc.item("gaoling")
    assert first is not None and first.fees == "不收费"
    await http.put("/api/v1/guide/items/gaoling", json=item(fees="10元"))
    assert (await svc.item("gaoling")) == first  # the working copy is not published yet
    await http.post("/api/v1/guide/publish")
    current = await svc.current()
    assert current is not None and current.version == 2
    newer = await svc.item("gaoling")
    assert newer is not None and newer.fees == "10元"
    # another instance (a second cloud behind the balancer) reads the blob, and notices
    # a publication made by the first one instead of keeping the copy it held
    other = CatalogueService(cloud.parts.sessions, svc.published.blobs, svc.published.publisher)
    assert await other.current() == current
    await http.put("/api/v1/guide/items/gaoling", json=item(fees="20元"))
    await http.post("/api/v1/guide/publish")
    newest = await other.item("gaoling")
    assert newest is not None and newest.fees == "20元"
