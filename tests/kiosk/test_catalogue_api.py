"""The catalogue's working copy through the console API: add, read, replace, delete; what is
refused (unknown department, a stale revision, a code that differs from the path); who may
(hall.read reads, guide.edit at the top of the tree changes); every change audited."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fleet.access import PersonRole
from tests.access.kit import AccessCloud
from tests.kiosk.catalogue_kit import HHL, admin, catalogue_cloud, item, seed


@pytest.fixture
async def cloud(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[AccessCloud]:
    async with catalogue_cloud(tmp_path, mosquitto_url) as c:
        yield c


async def test_add_read_replace_and_delete_an_item(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    await seed(http)
    got = (await http.get("/api/v1/guide/items/gaoling")).json()
    assert got["item"]["materials"][1]["sub"][0]["name"] == "本人一类账户"
    assert (got["revision"], got["problems"], got["draft"]) == (1, [], False)

    changed = item(fees="不收费（本人领取）")
    r = await http.put("/api/v1/guide/items/gaoling", params={"revision": 1}, json=changed)
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2 and r.json()["item"]["fees"] == "不收费（本人领取）"

    listed = (await http.get("/api/v1/guide/items", params={"q": "高龄"})).json()
    assert [i["code"] for i in listed["items"]] == ["gaoling"] and listed["total"] == 1
    none = (await http.get("/api/v1/guide/items", params={"department": "police"})).json()
    assert none == {"items": [], "total": 0}

    assert (await http.delete("/api/v1/guide/items/gaoling")).status_code == 204
    r = await http.get("/api/v1/guide/items/gaoling")
    assert r.status_code == 404 and r.json()["code"] == "guide_item_not_found"
    actions = [a.action for a in await cloud.audit_rows("guide.item.create")]
    actions += [a.action for a in await cloud.audit_rows("guide.item.update")]
    actions += [a.action for a in await cloud.audit_rows("guide.item.delete")]
    assert actions == ["guide.item.create", "guide.item.update", "guide.item.delete"]


async def test_a_stale_revision_is_a_409_and_keeps_the_newer_save(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    await seed(http)
    assert (await http.put("/api/v1/guide/items/gaoling", json=item(fees="A"))).status_code == 200
    r = await http.put("/api/v1/guide/items/gaoling", params={"revision": 1}, json=item(fees="B"))
    assert r.status_code == 409 and r.json()["code"] == "guide_stale_revision", r.text
    assert "reload" in r.json()["message"]
    assert (await http.get("/api/v1/guide/items/gaoling")).json()["item"]["fees"] == "A"


async def test_unknown_department_or_theme_is_refused_naming_the_field(
    cloud: AccessCloud,
) -> None:
    http = await admin(cloud)
    await seed(http)
    r = await http.post("/api/v1/guide/items", json=item("x1", department="nowhere"))
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "department"]
    assert "nowhere" in r.json()["errors"][0]["msg"]
    r = await http.post("/api/v1/guide/items", json=item("x2", themes=["sports"]))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "themes"]
    r = await http.put("/api/v1/guide/items/gaoling", json=item("other"))
    assert r.status_code == 422 and "rename" in r.json()["message"]
    r = await http.post("/api/v1/guide/items", json=item())
    assert r.status_code == 409 and r.json()["code"] == "guide_item_exists"


async def test_situation_problems_are_saved_and_reported(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    await seed(http)
    broken = item("broken", windows={"qh/nowhere": ["1"]})
    broken["materials"][2]["when"] = [{"age": "a100"}]
    r = await http.post("/api/v1/guide/items", json=broken, params={"draft": "true"})
    assert r.status_code == 201, r.text
    problems = r.json()["problems"]
    assert any("option a100" in p for p in problems), problems
    assert any("site 'qh/nowhere' does not exist" in p for p in problems), problems
    listed = (await http.get("/api/v1/guide/items")).json()["items"]
    assert {i["code"]: i["problems"] for i in listed} == {"broken": 2, "gaoling": 0}


async def test_departments_and_themes_are_added_then_renamed(cloud: AccessCloud) -> None:
    http = await admin(cloud)
    body = {"code": "civil", "name": "民政局"}
    assert (await http.post("/api/v1/guide/departments", json=body)).status_code == 201
    body["name"] = "民政局（社会事务）"
    assert (await http.post("/api/v1/guide/departments", json=body)).status_code == 200
    got = (await http.get("/api/v1/guide/departments")).json()["departments"]
    assert got == [{"code": "civil", "name": "民政局（社会事务）", "name_en": ""}]
    assert (await http.post("/api/v1/guide/themes", json={"code": "t", "name": "主题"})).is_success
    assert len(await cloud.audit_rows("guide.department.save")) == 2


async def test_who_may_read_and_who_may_change(cloud: AccessCloud) -> None:
    await seed(await admin(cloud))
    auditor = await cloud.as_role(PersonRole.AUDITOR)
    assert (await auditor.get("/api/v1/guide/items/gaoling")).status_code == 200
    r = await auditor.put("/api/v1/guide/items/gaoling", json=item())
    assert r.status_code == 403 and "guide.edit" in r.json()["message"]
    operator = await cloud.as_role(PersonRole.OPERATOR)
    assert (await operator.put("/api/v1/guide/items/gaoling", json=item())).status_code == 200
    town = await cloud.as_role(PersonRole.ADMINISTRATOR, HHL, name="town-admin")
    r = await town.post("/api/v1/guide/publish")
    assert r.status_code == 403 and r.json()["code"] == "scope_too_narrow", r.text
    assert (await town.get("/api/v1/guide/items")).status_code == 200
    denied = await cloud.audit_rows("permission.denied", "token:town-admin")
    assert [(d.result, d.target) for d in denied] == [("denied", "POST /api/v1/guide/publish")]
