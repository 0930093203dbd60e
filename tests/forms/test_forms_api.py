"""The e-forms through the cloud's API: the shipped forms seeded and served to kiosks, the one
validation, the console's versions (save, publish, roll back; who may; audited), the phone
hand-off (single use, expiry, the kiosk receives the data once) and the A4 print."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from cloud.blobs import BlobStore
from cloud.db.models import utcnow
from fleet.access import PersonRole
from tests.forms.forms_kit import ID_NUMBER, PERSON, FormsEnv, forms_env, token_of
from tests.kiosk.guide_pdf_read import pdf_text

FILLED = {**PERSON, "phone": "13912345678", "address": "格尔木市河西街道昆仑路 8 号"}


@pytest.fixture
async def env(tmp_path: Path, mosquitto_url: str) -> AsyncIterator[FormsEnv]:
    async with forms_env(tmp_path, mosquitto_url) as e:
        yield e


async def test_the_shipped_forms_are_served_to_kiosks(env: FormsEnv) -> None:
    listed = (await env.kiosk.get("/api/v1/kiosk/forms")).json()["forms"]
    assert {(f["code"], f["version"]) for f in listed} >= {
        ("personal-info", 1),
        ("pension-enrol", 1),
    }
    form = (await env.kiosk.get("/api/v1/kiosk/forms/personal-info")).json()
    assert form["title"] == "个人信息登记表" and form["sections"][0]["fields"][0]["from_card"]
    r = await env.kiosk.get("/api/v1/kiosk/forms/no-such-form")
    assert (r.status_code, r.json()["code"]) == (404, "form_not_found")
    assert (await env.public.get("/api/v1/kiosk/forms")).status_code == 401


async def test_the_check_names_each_problem_for_the_citizen(env: FormsEnv) -> None:
    path = "/api/v1/kiosk/forms/personal-info/check"
    empty = (await env.kiosk.post(path, json={"data": {}})).json()
    assert {p["field"] for p in empty["problems"]} == {"name", "id_number", "phone", "address"}
    assert "请填写手机号码" in {p["message"].rstrip("。") for p in empty["problems"]}
    wrong = {**FILLED, "id_number": ID_NUMBER[:-1] + "8", "phone": "1234"}
    got = (await env.kiosk.post(path, json={"data": wrong})).json()["problems"]
    assert {p["field"] for p in got} == {"id_number", "phone"}
    assert any("校验" in p["message"] for p in got if p["field"] == "id_number")
    ok = (await env.kiosk.post(path, json={"data": FILLED})).json()
    assert ok == {"code": "personal-info", "version": 1, "problems": []}
    bad = await env.kiosk.post(path, json={"data": {"Name": "x"}})
    assert bad.status_code == 422


async def test_versions_publish_and_roll_back(env: FormsEnv) -> None:
    editor = await env.cloud.as_role(PersonRole.OPERATOR)
    v1 = (await editor.get("/api/v1/forms/personal-info/versions/1")).json()
    changed = {**v1, "title": "个人信息登记表（新版）"}
    r = await editor.post("/api/v1/forms", json={"form": changed, "note": "new title"})
    assert r.status_code == 201, r.text
    assert r.json()["version"] == 2
    current = await env.kiosk.get("/api/v1/kiosk/forms/personal-info")
    assert current.json()["version"] == 1  # saved is not published

    assert (
        await editor.post("/api/v1/forms/personal-info/publish", json={"version": 2})
    ).status_code == 204
    assert (
        (await env.kiosk.get("/api/v1/kiosk/forms/personal-info"))
        .json()["title"]
        .endswith("（新版）")
    )
    again = await editor.post("/api/v1/forms/personal-info/publish", json={"version": 2})
    assert (again.status_code, again.json()["code"]) == (409, "form_state_refused")

    assert (
        await editor.post("/api/v1/forms/personal-info/rollback", json={"version": 1})
    ).status_code == 204
    assert (await env.kiosk.get("/api/v1/kiosk/forms/personal-info")).json()["version"] == 1
    forward = await editor.post("/api/v1/forms/personal-info/rollback", json={"version": 2})
    assert forward.status_code == 409
    versions = (await editor.get("/api/v1/forms/personal-info/versions")).json()["versions"]
    assert [(v["version"], v["current"]) for v in versions] == [(2, False), (1, True)]
    actions = [a.action for a in await env.cloud.audit_rows("form.publish")]
    actions += [a.action for a in await env.cloud.audit_rows("form.rollback")]
    assert actions == ["form.publish", "form.rollback"]


async def test_an_unusable_definition_is_refused_and_only_editors_may_save(
    env: FormsEnv,
) -> None:
    editor = await env.cloud.as_role(PersonRole.OPERATOR)
    v1 = (await editor.get("/api/v1/forms/personal-info/versions/1")).json()
    unlaid = {**v1, "json_schema": {**v1["json_schema"], "properties": {"x": {"type": "string"}}}}
    r = await editor.post("/api/v1/forms", json={"form": unlaid})
    assert (r.status_code, r.json()["code"]) == (422, "form_definition_invalid")
    assert "not in the schema" in r.json()["message"]
    remote = {**v1, "json_schema": {**v1["json_schema"], "$defs": {"a": {"$ref": "http://x/s"}}}}
    r = await editor.post("/api/v1/forms", json={"form": remote})
    assert r.status_code == 422 and "refer inside itself" in r.json()["message"]
    check = await editor.post("/api/v1/forms/check", json={"form": v1, "data": {"phone": "1"}})
    assert check.json()["definition"] == []
    assert {p["field"] for p in check.json()["problems"]} >= {"phone", "name"}
    staff = await env.cloud.as_role(PersonRole.WINDOW_STAFF)
    assert (await staff.post("/api/v1/forms", json={"form": v1})).status_code == 403
    assert (await staff.get("/api/v1/forms")).status_code == 200
    listed = (await staff.get("/api/v1/forms")).json()["forms"]
    assert [f["latest"] for f in listed if f["code"] == "personal-info"] == [1]


async def test_the_phone_fills_once_and_the_kiosk_takes_the_data_once(env: FormsEnv) -> None:
    made = await env.handoff()
    token = token_of(made["url"])
    poll = f"/api/v1/kiosk/forms/handoffs/{made['id']}"
    assert (await env.kiosk.get(poll)).json()["state"] == "waiting"
    page = await env.public.get(f"/f/{token}")
    assert page.status_code == 200 and page.headers["referrer-policy"] == "no-referrer"
    got = (await env.public.get(f"/api/v1/phone/forms/{token}")).json()
    assert got["form"]["code"] == "personal-info"

    typed = {"phone": "13912345678", "address": "昆仑路 8 号"}
    check = await env.public.post(
        f"/api/v1/phone/forms/{token}/check", json={"data": {"phone": "1"}}
    )
    assert {p["field"] for p in check.json()["problems"]} == {"phone", "address"}  # no card fields
    card = await env.public.post(
        f"/api/v1/phone/forms/{token}", json={"data": {**typed, "name": "x"}}
    )
    assert (card.status_code, card.json()["code"]) == (422, "form_data_invalid")
    assert (
        await env.public.post(f"/api/v1/phone/forms/{token}", json={"data": typed})
    ).status_code == 201
    again = await env.public.post(f"/api/v1/phone/forms/{token}", json={"data": typed})
    assert (again.status_code, again.json()["code"]) == (410, "handoff_gone")
    assert (await env.public.get(f"/f/{token}")).status_code == 410

    assert (await env.bare.get(poll)).status_code == 404  # another kiosk cannot take it
    filled = (await env.kiosk.get(poll)).json()
    assert (filled["state"], filled["data"]) == ("filled", typed)
    assert (await env.kiosk.get(poll)).json() == {**filled, "state": "expired", "data": None}


async def test_an_expired_link_opens_nothing(env: FormsEnv) -> None:
    made = await env.handoff()
    token = token_of(made["url"])
    desk = env.cloud.parts.kiosk.form_desk
    assert desk is not None
    desk.handoffs.clock = lambda: utcnow() + timedelta(seconds=601)
    r = await env.public.get(f"/api/v1/phone/forms/{token}")
    assert (r.status_code, r.json()["code"]) == (410, "handoff_gone")
    assert "重新扫码" in r.json()["citizen_message"]
    polled = await env.kiosk.get(f"/api/v1/kiosk/forms/handoffs/{made['id']}")
    assert polled.json()["state"] == "expired"
    unknown = await env.public.get("/api/v1/phone/forms/" + "A" * 32)
    assert unknown.status_code == 404


async def test_a_filled_form_is_printed_on_a4_with_its_layout(env: FormsEnv) -> None:
    path = "/api/v1/kiosk/forms/personal-info/print"
    r = await env.kiosk.post(path, json={"data": FILLED, "request_id": "f-1"})
    assert r.status_code == 201, r.text
    job = await env.job(r.json()["job_id"])
    assert (job.kind, job.target_device_id, job.purpose) == (
        "print_document",
        "kiosk-hhl-1",
        "form",
    )
    settings = env.cloud.parts.settings
    blobs = BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes)
    with blobs.open(job.params["document"]) as f:
        text = pdf_text(f.read())
    for shown in ("个人信息登记表", "王小明", ID_NUMBER, "13912345678", "申请人签字"):
        assert shown in text, shown
    same = await env.kiosk.post(path, json={"data": FILLED, "request_id": "f-1"})
    assert same.json()["job_id"] == job.id

    wrong = await env.kiosk.post(path, json={"data": {**FILLED, "phone": "12"}})
    assert (wrong.status_code, wrong.json()["code"]) == (422, "form_data_invalid")
    assert "手机号码" in wrong.json()["citizen_message"]
    bare = await env.bare.post(path, json={"data": FILLED})
    assert (bare.status_code, bare.json()["code"]) == (409, "no_a4_printer")


async def test_seeding_again_never_overrides_the_consoles_versions(env: FormsEnv) -> None:
    forms = env.cloud.parts.kiosk.forms
    assert forms is not None
    editor = await env.cloud.as_role(PersonRole.OPERATOR)
    v1 = (await editor.get("/api/v1/forms/pension-enrol/versions/1")).json()
    await editor.post("/api/v1/forms", json={"form": {**v1, "title": "改"}})
    await editor.post("/api/v1/forms/pension-enrol/publish", json={"version": 2})
    assert await forms.seed() == 0  # a restart
    current = await forms.current("pension-enrol")
    assert current is not None and (current.version, current.title) == (2, "改")


async def test_data_no_kiosk_took_is_dropped_when_the_link_expires(env: FormsEnv) -> None:
    made = await env.handoff()
    typed = {"phone": "13912345678", "address": "昆仑路 8 号"}
    sent = await env.public.post(
        f"/api/v1/phone/forms/{token_of(made['url'])}", json={"data": typed}
    )
    assert sent.status_code == 201
    desk = env.cloud.parts.kiosk.form_desk
    assert desk is not None
    desk.handoffs.clock = lambda: utcnow() + timedelta(seconds=601)
    await env.handoff()  # the next link made sweeps the old one's data
    polled = await env.kiosk.get(f"/api/v1/kiosk/forms/handoffs/{made['id']}")
    assert polled.json()["state"] == "expired" and polled.json()["data"] is None
