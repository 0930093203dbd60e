"""A kiosk's call through the call centre's REST API: rung, accepted by one operator (two at
once: one wins), ended with its outcome and recorded; missed with nobody on duty and the
citizen told; cancelled; the same request is the same call; scoping."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from cloud.auth.resolve import CSRF_HEADER, SESSION_COOKIE
from cloud.db.identity import User
from cloud.db.models import Device, utcnow
from fleet.access import PersonRole
from tests.access.kit import TGLS
from tests.help.kit import CALLS, DESK, HelpCloud, call_body, help_cloud
from tests.identity_kit import make_console_login


@pytest.fixture
async def desk(tmp_path: Path, amqtt_url: str) -> AsyncIterator[HelpCloud]:
    async with help_cloud(tmp_path, amqtt_url) as h:
        yield h


async def test_a_call_is_rung_accepted_ended_and_recorded(desk: HelpCloud) -> None:
    alice = await desk.operator("alice")
    kiosk = await desk.kiosk()
    r = await kiosk.post(CALLS, json=call_body())
    assert r.status_code == 201, r.text
    call = r.json()
    call_id = call["call_id"]
    assert (call["state"], call["ringing_to"], call["position"]) == ("ringing", "token:alice", 1)
    assert call["kiosk_stream_id"] == f"call-{call_id}-kiosk"
    assert call["site_name"] and call["recording"] is False
    queue = (await alice.get(f"{DESK}/calls", params={"state": "ringing"})).json()
    assert [c["call_id"] for c in queue] == [call_id]

    accepted = await alice.post(f"{DESK}/calls/{call_id}/accept")
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert (body["state"], body["operator"]) == ("active", "token:alice")
    assert body["operator_publish_token"] == f"pub:call-{call_id}-op:3600"
    seen = (await kiosk.get(f"{CALLS}/{call_id}")).json()
    assert seen["state"] == "active" and seen["operator_name"] == "alice"
    assert seen["operator_view_token"] == f"view:call-{call_id}-op:kiosk:kiosk-hhl-1"
    await desk.cloud.parts.help.calls.streams.settle()
    assert desk.media.started == [
        ("kiosk-hhl-1", f"call-{call_id}-kiosk", "call_kiosk", "qh/hx/golmud/hhl")
    ]

    ended = await alice.post(
        f"{DESK}/calls/{call_id}/end", json={"outcome": "solved", "note": "ok"}
    )
    assert ended.status_code == 200, ended.text
    assert (ended.json()["state"], ended.json()["outcome"]) == ("ended", "solved")
    await desk.cloud.parts.help.calls.streams.settle()
    assert desk.media.stopped == [("kiosk-hhl-1", f"call-{call_id}-kiosk")]
    after = (await kiosk.get(f"{CALLS}/{call_id}")).json()
    assert after["state"] == "ended" and after["operator_view_token"] is None
    assert "结束" in after["citizen_message"] and after["citizen_message_en"]

    made = await desk.cloud.audit_rows("help.call.create")
    taken = await desk.cloud.audit_rows("help.call.accept", "token:alice")
    done = await desk.cloud.audit_rows("help.call.end", "token:alice")
    assert [len(made), len(taken), len(done)] == [1, 1, 1]
    assert made[0].actor == "device:kiosk-hhl-1" and done[0].target == call_id
    assert done[0].detail["outcome"] == "solved" and done[0].detail["talked_s"] is not None
    assert done[0].detail["waited_s"] is not None and done[0].site == "qh/hx/golmud/hhl"


async def test_two_operators_accept_at_once_and_one_wins(desk: HelpCloud) -> None:
    alice, bob = await desk.operator("alice"), await desk.operator("bob")
    kiosk = await desk.kiosk()
    call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
    answers = await asyncio.gather(
        alice.post(f"{DESK}/calls/{call_id}/accept"), bob.post(f"{DESK}/calls/{call_id}/accept")
    )
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    lost = next(a for a in answers if a.status_code == 409).json()
    assert lost["code"] == "call_taken" and "already active" in lost["message"]
    won = next(a for a in answers if a.status_code == 200).json()
    assert len(await desk.cloud.audit_rows("help.call.accept")) == 1
    loser = bob if won["operator"] == "token:alice" else alice
    refused = await loser.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "solved"})
    assert refused.status_code == 409 and refused.json()["code"] == "call_state"


async def test_a_call_to_an_empty_call_centre_is_missed_and_the_citizen_told(
    desk: HelpCloud,
) -> None:
    await desk.operator("carol", on_duty=False)  # known, but off duty
    kiosk = await desk.kiosk()
    made = (await kiosk.post(CALLS, json=call_body())).json()
    assert (made["state"], made["ended_reason"]) == ("missed", "nobody on duty")
    told = (await kiosk.get(f"{CALLS}/{made['call_id']}", params={"wait_s": 5})).json()
    assert told["state"] == "missed"
    assert "暂时没有工作人员接听" in told["citizen_message"]
    assert "try again later" in told["citizen_message_en"]
    rows = await desk.cloud.audit_rows("help.call.missed")
    assert len(rows) == 1 and rows[0].result == "failed" and rows[0].message == "nobody on duty"


async def test_nobody_answers_within_the_wait_limit(desk: HelpCloud) -> None:
    await desk.operator("alice")
    kiosk = await desk.kiosk()
    call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
    calls = desk.cloud.parts.help.calls
    assert await calls.tick(utcnow() + timedelta(seconds=10)) == 0  # rings on for 20 s
    assert await calls.tick(utcnow() + timedelta(seconds=91)) == 1
    told = (await kiosk.get(f"{CALLS}/{call_id}")).json()
    assert told["state"] == "missed" and told["citizen_message"]
    assert (await desk.cloud.audit_rows("help.call.missed"))[0].message == "wait limit reached"


async def test_an_unanswered_ring_moves_to_the_next_operator(desk: HelpCloud) -> None:
    await desk.operator("alice")
    bob = await desk.operator("bob")
    kiosk = await desk.kiosk()
    call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
    first = (await bob.get(f"{DESK}/calls/{call_id}")).json()["ringing_to"]
    assert first == "token:alice"  # on duty longest
    await desk.cloud.parts.help.calls.tick(utcnow() + timedelta(seconds=21))
    assert (await bob.get(f"{DESK}/calls/{call_id}")).json()["ringing_to"] == "token:bob"
    # going off duty passes the ring on at once
    await bob.put(f"{DESK}/duty", json={"on_duty": False})
    assert (await bob.get(f"{DESK}/calls/{call_id}")).json()["ringing_to"] == "token:alice"


async def test_the_citizen_cancels_and_the_same_request_is_the_same_call(
    desk: HelpCloud,
) -> None:
    alice = await desk.operator("alice")
    kiosk = await desk.kiosk()
    call_id = (await kiosk.post(CALLS, json=call_body("r-7"))).json()["call_id"]
    again = await kiosk.post(CALLS, json=call_body("r-7"))
    assert again.status_code == 201 and again.json()["call_id"] == call_id
    pressed = await kiosk.post(CALLS, json=call_body("r-8"))  # a second press while calling
    assert pressed.json()["call_id"] == call_id
    gone = await kiosk.post(f"{CALLS}/{call_id}/cancel")
    assert gone.status_code == 200 and gone.json()["state"] == "cancelled"
    assert "取消" in gone.json()["citizen_message"]
    late = await alice.post(f"{DESK}/calls/{call_id}/accept")
    assert late.status_code == 409 and late.json()["code"] == "call_taken"
    assert (await kiosk.post(CALLS, json=call_body("r-7"))).json()["call_id"] == call_id
    fresh = await kiosk.post(CALLS, json=call_body("r-9"))
    assert fresh.status_code == 201, fresh.text
    assert fresh.json()["call_id"] != call_id  # the old one is over: a new call


async def test_a_call_is_seen_only_in_scope_and_by_its_own_kiosk(desk: HelpCloud) -> None:
    far = await desk.operator("far", scope=TGLS)
    near = await desk.operator("near", scope="qh/hx/golmud/hhl")
    kiosk = await desk.kiosk()
    call = (await kiosk.post(CALLS, json=call_body())).json()
    assert call["ringing_to"] == "token:near"  # far's subtree does not hold the kiosk
    assert (await far.get(f"{DESK}/calls/{call['call_id']}")).status_code == 404
    assert (await far.post(f"{DESK}/calls/{call['call_id']}/accept")).status_code == 404
    assert await far.get(f"{DESK}/calls") is not None
    assert (await far.get(f"{DESK}/calls")).json() == []
    other = await desk.kiosk("kiosk-hhl-2")
    assert (await other.get(f"{CALLS}/{call['call_id']}")).status_code == 404
    assert (await other.post(f"{CALLS}/{call['call_id']}/cancel")).status_code == 404
    assert (await near.post(CALLS, json=call_body())).status_code == 403  # devices only
    duty = (await near.get(f"{DESK}/duty")).json()
    assert duty["me"]["on_duty"] and [d["name"] for d in duty["on_duty"]] == ["near"]
    assert [d["name"] for d in (await far.get(f"{DESK}/duty")).json()["on_duty"]] == ["far"]


async def test_a_failed_kiosk_stream_leaves_the_call_going(desk: HelpCloud) -> None:
    alice = await desk.operator("alice")
    kiosk = await desk.kiosk()
    desk.media.fail_start = "kiosk-hhl-1 is offline"
    call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
    assert (await alice.post(f"{DESK}/calls/{call_id}/accept")).status_code == 200
    streams = desk.cloud.parts.help.calls.streams
    await streams.settle()
    assert streams.log == [(call_id, "failed: RuntimeError: kiosk-hhl-1 is offline")]
    assert (await kiosk.get(f"{CALLS}/{call_id}")).json()["state"] == "active"


async def test_a_kiosk_offline_past_the_grace_drops_the_call_and_says_so(
    desk: HelpCloud,
) -> None:
    alice = await desk.operator("alice")
    kiosk = await desk.kiosk()
    call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
    await alice.post(f"{DESK}/calls/{call_id}/accept")
    calls = desk.cloud.parts.help.calls
    async with desk.cloud.parts.sessions() as s:
        await s.execute(
            update(Device)
            .where(Device.id == "kiosk-hhl-1")
            .values(online=False, last_seen=utcnow() - timedelta(seconds=10))
        )
        await s.commit()
    assert await calls.tick() == 0  # within the grace: the link may come back
    assert (await kiosk.get(f"{CALLS}/{call_id}")).json()["state"] == "active"
    assert await calls.tick(utcnow() + timedelta(seconds=25)) == 1
    seen = (await alice.get(f"{DESK}/calls/{call_id}")).json()
    assert (seen["state"], seen["outcome"]) == ("ended", "dropped")
    assert seen["ended_reason"] == "kiosk went offline"
    told = (await kiosk.get(f"{CALLS}/{call_id}")).json()
    assert "网络连接断开" in told["citizen_message"] and "cut off" in told["citizen_message_en"]
    await calls.streams.settle()
    assert desk.media.stopped == [("kiosk-hhl-1", f"call-{call_id}-kiosk")]


async def test_only_the_accepting_operator_or_an_administrator_ends_a_call(
    desk: HelpCloud,
) -> None:
    alice, bob = await desk.operator("alice"), await desk.operator("bob")
    admin = await desk.cloud.as_role(PersonRole.ADMINISTRATOR, "qh", "boss")
    kiosk = await desk.kiosk()
    call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
    await alice.post(f"{DESK}/calls/{call_id}/accept")
    again = (await alice.get(f"{DESK}/calls/{call_id}")).json()  # a reloaded console
    assert again["operator_publish_token"] == f"pub:call-{call_id}-op:3600"
    assert (await bob.get(f"{DESK}/calls/{call_id}")).json()["operator_publish_token"] is None
    refused = await bob.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "solved"})
    assert refused.status_code == 409 and "only they" in refused.json()["message"]
    ended = await admin.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "dropped"})
    assert ended.status_code == 200 and ended.json()["outcome"] == "dropped"
    assert (await desk.cloud.audit_rows("help.call.end"))[0].actor == "token:boss"


async def test_a_console_operator_is_named_by_their_display_name(desk: HelpCloud) -> None:
    login = await make_console_login(
        desk.cloud.parts.sessions, "wxm", PersonRole.OPERATOR, "qh/hx/golmud"
    )
    async with desk.cloud.parts.sessions() as s:
        await s.execute(update(User).where(User.username == "wxm").values(display_name="王小明"))
        await s.commit()
    console = await desk.cloud.client({CSRF_HEADER: login.csrf})
    console.cookies.set(SESSION_COOKIE, login.cookie)
    assert (await console.put(f"{DESK}/duty", json={"on_duty": True})).json()["name"] == "王小明"
    kiosk = await desk.kiosk()
    call = (await kiosk.post(CALLS, json=call_body())).json()
    assert call["ringing_to"] == "user:wxm"
    taken = (await console.post(f"{DESK}/calls/{call['call_id']}/accept")).json()
    assert (taken["operator"], taken["operator_name"]) == ("user:wxm", "王小明")
    seen = (await kiosk.get(f"{CALLS}/{call['call_id']}")).json()
    assert seen["operator_name"] == "王小明"


async def test_the_kiosks_long_poll_hears_its_place_move_and_the_answer(
    desk: HelpCloud,
) -> None:
    alice = await desk.operator("alice")
    first, second = await desk.kiosk("kiosk-hhl-1"), await desk.kiosk("kiosk-hhl-2")
    one = (await first.post(CALLS, json=call_body())).json()
    two = (await second.post(CALLS, json=call_body())).json()
    assert (one["position"], two["position"]) == (1, 2)
    assert two["ringing_to"] == "token:alice"  # free: rung for both until she takes one
    waiting = asyncio.create_task(second.get(f"{CALLS}/{two['call_id']}", params={"wait_s": 20}))
    answered = asyncio.create_task(first.get(f"{CALLS}/{one['call_id']}", params={"wait_s": 20}))
    await alice.post(f"{DESK}/calls/{one['call_id']}/accept")
    moved, taken = (await waiting).json(), (await answered).json()
    assert moved["position"] == 1 and taken["state"] == "active" and taken["operator_view_token"]
    if moved["state"] == "ringing":  # alice is busy now: it stops ringing her
        again = await second.get(f"{CALLS}/{two['call_id']}", params={"wait_s": 20})
        moved = again.json()
    assert (moved["state"], moved["position"]) == ("waiting", 1)
