"""Import and export: JSON and Excel round-trip the working copy (二级材料, situations, when,
drafts); a bad file is refused with each bad row's place and saves nothing; replace mode
removes what the file does not hold; a published catalogue imports as it is."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from cloud.kiosk.catalogue_io import XLSX_MEDIA
from tests.access.kit import AccessCloud
from tests.kiosk.catalogue_kit import admin, catalogue_cloud, departments, item, seed, themes


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[AccessCloud]:
    async with catalogue_cloud(tmp_path, mosquitto_url) as c:
        yield c


async def import_file(
    http: httpx.AsyncClient, data: bytes, fmt: str, mode: str = "merge"
) -> httpx.Response:
    media = XLSX_MEDIA if fmt == "xlsx" else "application/json"
    return await http.post(
        "/api/v1/guide/import",
        params={"format": fmt, "mode": mode},
        files={"file": (f"catalogue.{fmt}", data, media)},
    )


async def snapshot(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    codes = [i["code"] for i in (await http.get("/api/v1/guide/items")).json()["items"]]
    out = []
    for code in codes:
        got = (await http.get(f"/api/v1/guide/items/{code}")).json()
        out.append({"item": got["item"], "draft": got["draft"]})
    return out


@pytest.mark.parametrize("fmt", ["json", "xlsx"])
async def test_export_then_import_into_an_empty_cloud_gives_the_same_items(
    cloud: AccessCloud, fmt: str, tmp_path: Path, mosquitto_url: str
) -> None:
    http = await admin(cloud)
    await seed(http, "gaoling")
    two_ways = item("hukou", name="户口迁移")
    two_ways["materials"][2]["when"] = [{"age": "a90", "local": "no"}, {"age": "a80"}]
    await http.post("/api/v1/guide/items", json=two_ways, params={"draft": "true"})
    before = await snapshot(http)
    r = await http.get("/api/v1/guide/export", params={"format": fmt})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]

    async with catalogue_cloud(tmp_path / "other", mosquitto_url) as other:
        http2 = await admin(other)
        got = await import_file(http2, r.content, fmt)
        assert got.status_code == 200, got.text
        assert (got.json()["created"], got.json()["departments"]) == (2, 2)
        assert await snapshot(http2) == before
        assert len(await other.audit_rows("guide.import")) == 1


async def test_a_bad_workbook_names_each_row_and_saves_nothing(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    await seed(http)
    book = load_workbook(io.BytesIO((await http.get("/api/v1/guide/export?format=xlsx")).content))
    items, materials, options = book["items"], book["materials"], book["options"]
    items.append(["new1", "新事项", "", "civil", "person"])  # row 3: fine by itself
    items.append(["new2", "", "", "nowhere"])  # row 4: no name, unknown department
    materials.append(["new1", "m1", "材料", "", "original", "two"])  # row 6: copies
    materials.append(["ghost", "m2", "材料"])  # row 7: no such item
    materials["I2"] = "age=a90, local"  # row 2: a when without an option
    options.append(["gaoling", "nope", "x", "选项"])  # row 6: no such question
    out = io.BytesIO()
    book.save(out)

    r = await import_file(http, out.getvalue(), "xlsx")
    assert r.status_code == 422, r.text
    locs = [e["loc"] for e in r.json()["errors"]]
    assert locs == [
        ["file", "items", 4, "name"],
        ["file", "items", 4, "department"],
        ["file", "materials", 2, "when"],
        ["file", "materials", 6, "copies"],
        ["file", "materials", 7, "item"],
        ["file", "options", 6, "question"],
    ], r.json()["errors"]
    assert "question=option" in r.json()["errors"][2]["msg"]
    assert [i["code"] for i in (await http.get("/api/v1/guide/items")).json()["items"]] == [
        "gaoling"
    ]  # new1 was fine, but nothing of a bad file is saved
    assert await cloud.audit_rows("guide.import") == []


async def test_a_bad_json_file_names_the_entry_and_saves_nothing(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    bad = item("two")
    bad["materials"][0]["form"] = "photo"
    doc = {"departments": departments(), "themes": themes(), "items": [item("one"), bad]}

    r = await import_file(http, json.dumps(doc).encode(), "json")
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["file", "items", 1, "materials", 0, "form"]
    assert (await http.get("/api/v1/guide/items")).json()["total"] == 0
    assert (await http.get("/api/v1/guide/departments")).json()["departments"] == []
    r = await import_file(http, b"not json", "json")
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["file"]
    r = await import_file(http, b"PK not a zip", "xlsx")
    assert r.status_code == 422 and "xlsx" in r.json()["errors"][0]["msg"]


async def test_a_published_version_imports_back_and_replace_removes_the_rest(
    cloud: AccessCloud,
) -> None:
    http = await admin(cloud)
    await seed(http, "gaoling", "hukou")
    await http.post("/api/v1/guide/publish")
    assert (await http.get("/api/v1/guide/versions/2")).status_code == 404
    published = (await http.get("/api/v1/guide/versions/1")).json()  # as the kiosks got it
    assert published["version"] == 1
    published["items"] = [i for i in published["items"] if i["code"] == "hukou"]
    published["sample"] = True

    r = await import_file(http, json.dumps(published).encode(), "json", mode="replace")
    assert r.status_code == 200, r.text
    assert (r.json()["updated"], r.json()["deleted"]) == (1, 1)
    listed = (await http.get("/api/v1/guide/items")).json()["items"]
    assert [(i["code"], i["sample"]) for i in listed] == [("hukou", True)]
    r = await http.post("/api/v1/guide/publish")
    assert r.status_code == 201 and r.json()["sample"] is True


async def test_a_county_sized_file_imports_and_a_larger_one_is_refused_naming_the_setting(
    tmp_path: Path, mosquitto_url: str
) -> None:
    """A file past the API's usual 1 MiB body limit, within the import's own limit, imports;
    past the import's limit it is a 413 that says which setting raises it."""
    async with catalogue_cloud(
        tmp_path, mosquitto_url, guide_import_max_bytes=4 * 1024 * 1024
    ) as cloud:
        http = await admin(cloud)
        await seed(http, "gaoling")
        doc = json.loads(
            (await http.get("/api/v1/guide/export", params={"format": "json"})).content
        )
        one = doc["items"][0]
        doc["items"] = [{**one, "code": f"i{n:04d}"} for n in range(1500)]
        data = json.dumps(doc, ensure_ascii=False).encode()
        assert 1024 * 1024 < len(data) < 4 * 1024 * 1024
        r = await import_file(http, data, "json")
        assert r.status_code == 200, r.text[:500]
        listed = await http.get("/api/v1/guide/items", params={"limit": 5000})
        assert listed.json()["total"] == 1501

        doc["items"] = [{**one, "code": f"j{n:04d}"} for n in range(4000)]
        big = json.dumps(doc, ensure_ascii=False).encode()
        assert len(big) > 4 * 1024 * 1024
        r = await import_file(http, big, "json")
        assert r.status_code == 413 and "KFLEET_GUIDE_IMPORT_MAX_BYTES" in r.text
