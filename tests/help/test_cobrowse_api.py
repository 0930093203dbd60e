"""Remote operation and material review over the cloud's API in a real call (the kiosk calls the
call centre, an operator on duty accepts it): consent first, actions only while granted, take-back
refuses what follows, the screen copy is sanitised, only the accepting operator and the
calling kiosk take part, a rescan decision reaches the kiosk and a new scan puts the material
back to pending."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from cloud.auth.resolve import CSRF_HEADER, SESSION_COOKIE
from fleet.access import PersonRole
from tests.help.kit import CALLS, DESK, StandInMedia, call_body
from tests.identity_kit import make_console_login
from tests.kiosk.apply_kit import ApplyEnv, apply_env, jpeg_page
from tests.kiosk.guide_kit import kiosk_with

HHL = "qh/hx/golmud/hhl"
OP_HHL = (PersonRole.OPERATOR, HHL)


@dataclass
class Env:
    apply: ApplyEnv
    operator: httpx.AsyncClient
    call_id: str

    @property
    def kiosk(self) -> httpx.AsyncClient:
        return self.apply.kiosk

    def op(self, tail: str) -> str:
        return f"/api/v1/help/calls/{self.call_id}/{tail}"

    def k(self, tail: str) -> str:
        return f"/api/v1/kiosk/help/calls/{self.call_id}/{tail}"


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    async with apply_env(tmp_path, amqtt_url) as a:
        a.cloud.parts.help.calls.streams.media = StandInMedia()  # no camera on this kiosk
        operator = await a.cloud.as_role(PersonRole.OPERATOR, HHL, name="op-li")
        yield Env(a, operator, await answered_call(a.kiosk, operator))


async def answered_call(kiosk: httpx.AsyncClient, operator: httpx.AsyncClient) -> str:
    """The kiosk calls the call centre; the operator goes on duty and accepts the call."""
    r = await operator.put(f"{DESK}/duty", json={"on_duty": True})
    assert r.status_code == 200, r.text
    r = await kiosk.post(CALLS, json=call_body())
    assert r.status_code == 201, r.text
    call_id: str = r.json()["call_id"]
    r = await operator.post(f"{DESK}/calls/{call_id}/accept")
    assert r.status_code == 200, r.text
    assert r.json()["operator"] == "token:op-li"  # the accepter's ``Principal.actor``
    return call_id


SCREEN = {
    "title": "自助申报",
    "html": '<div><script>alert(1)</script><input data-ref="f1" value="x" onfocus="steal()">'
    '<img src="https://evil.example/x.png"><button data-ref="b1" type="submit">下一步</button>'
    "<p>110101199003071234 13800001234</p></div>",
    "fields": [
        {"ref": "f1", "kind": "text", "label": "联系电话", "value": ""},
        {"ref": "b1", "kind": "button", "label": "下一步"},
    ],
}


async def test_consent_then_actions_then_take_back(env: Env) -> None:
    r = await env.kiosk.put(env.k("screen"), json=SCREEN)
    assert r.status_code == 200, r.text
    screen = (await env.operator.get(env.op("screen"))).json()
    assert "script" not in screen["html"] and "onfocus" not in screen["html"]
    assert "evil.example" not in screen["html"] and 'type="submit"' not in screen["html"]
    assert 'data-ref="f1"' in screen["html"] and screen["control"] == "none"
    # no consent yet: nothing is queued
    act = {"type": "fill", "ref": "f1", "value": "13900001111"}
    r = await env.operator.post(env.op("actions"), json=act)
    assert r.status_code == 409 and r.json()["code"] == "control_not_granted"
    # the kiosk's long-poll wakes with the ask
    waiting = asyncio.create_task(env.kiosk.get(env.k("actions"), params={"wait_s": 10}))
    r = await env.operator.post(env.op("control"), json={"request": True})
    assert r.json()["control"] == "asked"
    got = (await asyncio.wait_for(waiting, 10)).json()
    assert got["events"][-1] == {
        "id": 1,
        "type": "control",
        "state": "asked",
        "ref": None,
        "value": None,
    }
    r = await env.kiosk.post(env.k("control"), json={"state": "granted"})
    assert r.json()["control"] == "granted"
    r = await env.operator.post(env.op("actions"), json=act)
    assert r.status_code == 201, r.text
    got = (await env.kiosk.get(env.k("actions"), params={"after": 2})).json()
    assert [(e["type"], e["ref"], e["value"]) for e in got["events"]] == [
        ("fill", "f1", "13900001111")
    ]
    # the citizen takes control back: a later action is refused and nothing reaches the kiosk
    await env.kiosk.post(env.k("control"), json={"state": "revoked"})
    r = await env.operator.post(env.op("actions"), json={"type": "click", "ref": "b1"})
    assert r.status_code == 409
    got = (await env.kiosk.get(env.k("actions"), params={"after": 3})).json()
    assert [e["type"] for e in got["events"]] == ["control"] and got["control"] == "revoked"


async def test_declined_consent_keeps_control_with_the_citizen(env: Env) -> None:
    await env.operator.post(env.op("control"), json={"request": True})
    r = await env.kiosk.post(env.k("control"), json={"state": "declined"})
    assert r.json()["control"] == "declined"
    r = await env.operator.post(env.op("actions"), json={"type": "click", "ref": "b1"})
    assert r.status_code == 409 and r.json()["code"] == "control_not_granted"
    # granting without a new ask is refused (the operator must ask again)
    r = await env.kiosk.post(env.k("control"), json={"state": "granted"})
    assert r.status_code == 409 and r.json()["code"] == "control_not_asked"


async def test_screen_masks_numbers_and_long_poll_wakes(env: Env) -> None:
    waiting = asyncio.create_task(
        env.operator.get(env.op("screen"), params={"after_seq": 0, "wait_s": 10})
    )
    await env.kiosk.put(env.k("screen"), json=SCREEN)
    screen = (await asyncio.wait_for(waiting, 10)).json()
    assert screen["seq"] == 1
    assert "110101199003071234" not in screen["html"] and "1101**********1234" in screen["html"]
    assert "13800001234" not in screen["html"] and "138****1234" in screen["html"]


async def test_only_the_accepting_operator_and_the_calling_kiosk(env: Env) -> None:
    other = await env.apply.cloud.as_role(PersonRole.OPERATOR, HHL, name="op-wang")
    r = await other.get(env.op("screen"))
    assert r.status_code == 409 and r.json()["code"] == "not_your_call"
    elsewhere = await env.apply.cloud.as_role(PersonRole.OPERATOR, "qh/xn", name="op-li")
    assert (await elsewhere.get(env.op("screen"))).status_code == 404
    second = await kiosk_with(env.apply.cloud, "kiosk-hhl-2", HHL, "receipt_printer")
    assert (await second.put(env.k("screen"), json=SCREEN)).status_code == 404
    auditor = await env.apply.cloud.as_role(PersonRole.AUDITOR, HHL)
    assert (await auditor.get(env.op("screen"))).status_code == 403
    # a console login named like the accepting API token is someone else (``user:op-li``)
    login = await make_console_login(env.apply.cloud.parts.sessions, "op-li", *OP_HHL)
    console = await env.apply.cloud.client({CSRF_HEADER: login.csrf})
    console.cookies.set(SESSION_COOKIE, login.cookie)
    r = await console.get(env.op("screen"))
    assert r.status_code == 409 and r.json()["code"] == "not_your_call"


async def test_the_call_ending_drops_everything_in_call_at_once(env: Env) -> None:
    await env.kiosk.put(env.k("screen"), json=SCREEN)
    await env.kiosk.get(env.k("materials/decisions"))
    incall = env.apply.cloud.parts.cobrowse
    assert incall.cobrowse.has(env.call_id) and incall.materials.has(env.call_id)
    r = await env.operator.post(f"{DESK}/calls/{env.call_id}/end", json={"outcome": "solved"})
    assert r.status_code == 200, r.text
    # the call centre's ``on_change`` dropped it, before anyone asked again
    assert not incall.cobrowse.has(env.call_id) and not incall.materials.has(env.call_id)
    for r in (
        await env.kiosk.get(env.k("actions"), params={"wait_s": 20}),
        await env.kiosk.get(env.k("materials/decisions"), params={"wait_s": 20}),
    ):
        assert r.status_code == 409 and r.json()["code"] == "call_not_active", r.text
    r = await env.operator.get(env.op("screen"))
    assert r.status_code == 409 and r.json()["code"] == "call_not_active"
    assert (await env.kiosk.put(env.k("screen"), json=SCREEN)).status_code == 409


async def test_rescan_decision_reaches_the_kiosk_and_a_new_scan_is_pending(env: Env) -> None:
    first, back = jpeg_page("id-front"), jpeg_page("id-back")
    pages = [await env.apply.upload(first), await env.apply.upload(back)]
    body = {"materials": [{"material_id": "id_card", "name": "居民身份证", "pages": pages}]}
    r = await env.kiosk.put(env.k("materials"), json=body)
    assert r.status_code == 200, r.text
    listed = (await env.operator.get(env.op("materials"))).json()
    assert listed == [
        {"material_id": "id_card", "name": "居民身份证", "pages": 2, "state": "pending", "note": ""}
    ]
    r = await env.operator.get(env.op("materials/id_card/pages/2"))
    assert r.status_code == 200 and r.content == back and r.headers["content-type"] == "image/jpeg"
    assert (await env.operator.get(env.op("materials/id_card/pages/3"))).status_code == 404
    version = (await env.kiosk.get(env.k("materials/decisions"))).json()["version"]
    waiting = asyncio.create_task(
        env.kiosk.get(env.k("materials/decisions"), params={"after": version, "wait_s": 10})
    )
    decision = {"decision": "rescan", "note": "背面模糊"}
    r = await env.operator.post(env.op("materials/id_card/decision"), json=decision)
    assert r.json()["state"] == "rescan"
    got = (await asyncio.wait_for(waiting, 10)).json()
    assert got["decisions"] == [
        {"material_id": "id_card", "state": "rescan", "note": "背面模糊", "pages": pages}
    ]
    rescanned = await env.apply.upload(jpeg_page("id-back-2"))
    body["materials"][0]["pages"] = [pages[0], rescanned]
    await env.kiosk.put(env.k("materials"), json=body)
    listed = (await env.operator.get(env.op("materials"))).json()
    assert listed[0]["state"] == "pending"
    r = await env.operator.get(env.op("materials/id_card/pages/2"))
    assert r.content != back


async def test_a_page_another_kiosk_uploaded_is_refused(env: Env) -> None:
    second = await kiosk_with(env.apply.cloud, "kiosk-hhl-2", HHL, "receipt_printer")
    theirs = await env.apply.upload(jpeg_page("theirs"), second)
    body = {"materials": [{"material_id": "id_card", "name": "居民身份证", "pages": [theirs]}]}
    r = await env.kiosk.put(env.k("materials"), json=body)
    assert r.status_code == 409 and r.json()["code"] == "material_missing"
