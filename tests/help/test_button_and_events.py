"""The kiosk's hardware call button makes a call (over MQTT, as a real agent sends it); the
console's event stream rings without polling."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.api.help_calls import _stream
from cloud.help.ref import CallRef
from protocols.messages import EventBody, EventKind, Health, PeripheralInfo
from protocols.topics import DeviceChannel
from tests.access.kit import TGLS
from tests.cloudkit import FakeDevice
from tests.hall.ratings_kit import register
from tests.help.kit import CALLS, DESK, HelpCloud, call_body, help_cloud

BUTTON = PeripheralInfo(
    id="btn", kind="call_button", capabilities=["call_button"], health=Health.OK
)


@pytest.fixture
async def desk(tmp_path: Path, amqtt_url: str) -> AsyncIterator[HelpCloud]:
    async with help_cloud(tmp_path, amqtt_url, help_events_window_s=2.0) as h:
        yield h


def _press(kind: str = "press") -> EventBody:
    return EventBody(kind=EventKind.BUTTON, peripheral="btn", data={"button": 1, "kind": kind})


async def test_the_kiosks_call_button_makes_one_call(desk: HelpCloud, amqtt_url: str) -> None:
    alice = await desk.operator("alice")
    parts = desk.cloud.parts
    kiosk_id = f"kiosk-btn-{uuid.uuid4().hex[:6]}"
    async with FakeDevice(amqtt_url, kiosk_id, peripherals=[BUTTON]) as kiosk:
        await register(parts, kiosk)
        async with parts.hub.subscribe(f"help:button:{kiosk_id}") as handled:
            await kiosk.publish(DeviceChannel.EVT, _press())
            call_id = await handled.wait_for(lambda _: True, 10)
            assert call_id is not None and call_id.startswith("hc-")
            await kiosk.publish(DeviceChannel.EVT, _press())  # pressed again while ringing
            assert await handled.wait_for(lambda _: True, 10) == call_id
            await kiosk.publish(DeviceChannel.EVT, _press("long_press"))
            assert await handled.wait_for(lambda _: True, 10) == "ignored"
    assert parts.help.button.pressed == 2
    calls = (await alice.get(f"{DESK}/calls")).json()
    mine = [c for c in calls if c["device_id"] == kiosk_id]
    assert len(mine) == 1, mine  # the second press answered the same call
    assert (mine[0]["source"], mine[0]["state"]) == ("button", "ringing")


async def test_the_event_stream_rings_the_console(desk: HelpCloud) -> None:
    alice = await desk.operator("alice")
    kiosk = await desk.kiosk()
    before = (await kiosk.post(CALLS, json=call_body("r-1"))).json()
    stream = _stream(desk.cloud.parts.help, "qh", 30.0)
    assert await anext(stream) == "retry: 1000\n\n"
    first = await anext(stream)
    assert first.startswith("event: call\n") and before["call_id"] in first
    await alice.post(f"{DESK}/calls/{before['call_id']}/accept")
    accepted = _data(await anext(stream))
    assert (accepted["call_id"], accepted["state"]) == (before["call_id"], "active")
    await alice.put(f"{DESK}/duty", json={"on_duty": False})
    duty = await anext(stream)
    assert duty.startswith("event: duty\n") and _data(duty) == []
    await stream.aclose()
    # over HTTP: the declared content type, the open calls, and the end of the window
    r = await alice.get(f"{DESK}/events")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    assert f'"call_id":"{before["call_id"]}"' in r.text


def _data(event: str) -> object:
    line = next(x for x in event.splitlines() if x.startswith("data: "))
    return json.loads(line.removeprefix("data: "))


async def test_recording_is_off_by_default_and_announced_when_on(
    tmp_path: Path, amqtt_url: str
) -> None:
    async with help_cloud(tmp_path, amqtt_url, help_recording=True) as recorded:
        await recorded.operator("alice")
        kiosk = await recorded.kiosk()
        call = (await kiosk.post(CALLS, json=call_body())).json()
        assert call["recording"] is True
        seen = (await kiosk.get(f"{CALLS}/{call['call_id']}")).json()
        assert "录音录像" in seen["recording_notice"] and "recorded" in seen["recording_notice_en"]
        made = await recorded.cloud.audit_rows("help.call.create")
        assert made[0].detail["recording"] is True


async def test_a_call_not_recorded_shows_no_notice(desk: HelpCloud) -> None:
    await desk.operator("alice")
    kiosk = await desk.kiosk()
    call = (await kiosk.post(CALLS, json=call_body())).json()
    seen = (await kiosk.get(f"{CALLS}/{call['call_id']}")).json()
    assert call["recording"] is False and seen["recording_notice"] is None


async def test_listeners_hear_each_change_and_streams_keep_to_their_scope(
    desk: HelpCloud,
) -> None:
    alice = await desk.operator("alice")
    heard: list[tuple[str, str | None]] = []
    ended = asyncio.Event()

    async def listener(ref: CallRef) -> None:
        heard.append((ref.state, ref.operator))
        if ref.state == "ended":
            ended.set()

    desk.cloud.parts.help.on_change(listener)
    desk.cloud.parts.help.on_change(lambda ref: 1 / 0)  # a broken listener harms nobody
    far = _stream(desk.cloud.parts.help, TGLS, 6.0)
    assert await anext(far) == "retry: 1000\n\n"
    kiosk = await desk.kiosk()
    call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
    await alice.post(f"{DESK}/calls/{call_id}/accept")
    await alice.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "referred"})
    await asyncio.wait_for(ended.wait(), 5)
    assert heard == [("ringing", None), ("active", "token:alice"), ("ended", "token:alice")]
    ref = await desk.cloud.parts.help.directory.get(call_id)
    assert ref is not None and ref.kiosk_stream_id == f"call-{call_id}-kiosk"
    assert await desk.cloud.parts.help.directory.get("hc-" + "0" * 24) is None
    # the far subtree's stream, open all along, heard of none of it
    assert [e async for e in far if not e.startswith(":")] == []


async def test_the_worker_misses_a_call_at_the_wait_limit_by_itself(
    tmp_path: Path, amqtt_url: str
) -> None:
    async with help_cloud(tmp_path, amqtt_url, help_wait_limit_s=1.0) as short:
        await short.operator("alice")
        kiosk = await short.kiosk()
        call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
        # the kiosk's long-poll returns when the worker changed the call (no test clock)
        told = (await kiosk.get(f"{CALLS}/{call_id}", params={"wait_s": 20})).json()
        assert told["state"] == "missed" and told["citizen_message"]
        rows = await short.cloud.audit_rows("help.call.missed")
        assert [r.actor for r in rows] == ["system:help-desk"]
        assert rows[0].detail["waited_s"] >= 1.0
