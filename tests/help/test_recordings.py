"""Call recording (``help_recording``): an answered call's kiosk stream, published through the
real aiortc relay, is written to a WebM file whose frames decode and move; the call's rows
say how each side went; playback serves ranges and is audited once; scope, permission and
retention hold; a call made with recording off records nothing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import av
import httpx
import pytest

from cloud.db.models import utcnow
from cloud.media.backend import StreamInfo
from cloud.media.relay import AiortcRelay
from fleet.access import PersonRole
from tests.access.kit import TGLS
from tests.help.kit import CALLS, DESK, HelpCloud, call_body, help_cloud
from tests.media.media_kit import accept, closing, loopback_only, publisher, read_level, viewer


@pytest.fixture
async def desk(tmp_path: Path, amqtt_url: str) -> AsyncIterator[HelpCloud]:
    loopback_only()
    async with help_cloud(tmp_path, amqtt_url, help_recording=True) as h:
        yield h


async def answered_call(desk: HelpCloud) -> tuple[str, httpx.AsyncClient]:
    alice = await desk.operator("alice")
    kiosk = await desk.kiosk()
    made = await kiosk.post(CALLS, json=call_body())
    assert made.status_code == 201 and made.json()["recording"] is True, made.text
    call_id = made.json()["call_id"]
    assert (await alice.post(f"{DESK}/calls/{call_id}/accept")).status_code == 200
    return call_id, alice


async def publish_kiosk_side(desk: HelpCloud, call_id: str, frames: int) -> None:
    """The kiosk's camera through the relay until a viewer decoded ``frames`` distinct levels
    (the recorder sits on the same frames the viewer gets)."""
    relay = desk.cloud.parts.media.backend
    assert isinstance(relay, AiortcRelay)
    info = StreamInfo(f"call-{call_id}-kiosk", "call_kiosk", "kiosk-hhl-1", "qh/hx/golmud/hhl")
    pub = await publisher()
    watcher = await viewer()
    async with closing(pub.pc, watcher.pc):
        await accept(pub.pc, (await relay.publish(info, pub.offer_sdp)).answer_sdp)
        await accept(
            watcher.pc, (await relay.view(info.stream_id, watcher.offer_sdp, "t")).answer_sdp
        )
        await watcher.until_levels(frames)
        await watcher.until_audio(10)
        await watcher.close()


def decoded_levels(data: bytes) -> tuple[list[int], bool]:
    with av.open(io.BytesIO(data)) as container:
        has_audio = any(s.type == "audio" for s in container.streams)
        levels = [read_level(f) for f in container.decode(video=0)]
    return levels, has_audio


async def test_an_answered_call_is_recorded_played_and_audited(desk: HelpCloud) -> None:
    call_id, alice = await answered_call(desk)
    await publish_kiosk_side(desk, call_id, frames=6)
    ended = await alice.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "solved", "note": ""})
    assert ended.status_code == 200, ended.text

    admin = await desk.cloud.as_role(PersonRole.ADMINISTRATOR)
    rows = (await admin.get(f"{DESK}/calls/{call_id}/recordings")).json()
    by_side = {r["side"]: r for r in rows}
    kiosk_side, operator_side = by_side["kiosk"], by_side["operator"]
    assert kiosk_side["state"] == "complete" and kiosk_side["reason"] == ""
    assert kiosk_side["bytes"] > 1000 and kiosk_side["duration_s"] > 0.2
    assert len(kiosk_side["sha256"]) == 64 and kiosk_side["media_url"]
    # the operator published nothing here: no picture came, so no file
    assert (operator_side["state"], operator_side["media_url"]) == ("empty", None)

    whole = await admin.get(kiosk_side["media_url"])
    assert whole.status_code == 200 and whole.headers["content-type"] == "video/webm"
    levels, has_audio = decoded_levels(whole.content)
    assert len(set(levels)) >= 4 and has_audio  # the counter moves: real frames, in order
    part = await admin.get(kiosk_side["media_url"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == whole.content[100:200]
    plays = await desk.cloud.audit_rows("help.recording.play")
    assert len(plays) == 1  # the seek is not a second playback
    assert plays[0].target == kiosk_side["recording_id"]
    assert plays[0].detail == {"call_id": call_id, "side": "kiosk"}


async def test_who_may_see_recordings(desk: HelpCloud) -> None:
    call_id, alice = await answered_call(desk)
    await publish_kiosk_side(desk, call_id, frames=2)
    await alice.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "solved", "note": ""})
    # the operator who answered may not replay it: the record is for supervision
    denied = await alice.get(f"{DESK}/calls/{call_id}/recordings")
    assert denied.status_code == 403 and "help.recordings" in denied.text
    auditor = await desk.cloud.as_role(PersonRole.AUDITOR, "qh")
    rows = (await auditor.get(f"{DESK}/calls/{call_id}/recordings")).json()
    url = next(r["media_url"] for r in rows if r["side"] == "kiosk")
    assert (await auditor.get(url)).status_code == 200
    elsewhere = await desk.cloud.as_role(PersonRole.AUDITOR, TGLS)
    assert (await elsewhere.get(f"{DESK}/calls/{call_id}/recordings")).status_code == 404
    assert (await elsewhere.get(url)).status_code == 404


async def test_retention_deletes_the_file_and_keeps_the_row(desk: HelpCloud) -> None:
    call_id, alice = await answered_call(desk)
    await publish_kiosk_side(desk, call_id, frames=2)
    await alice.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "solved", "note": ""})
    admin = await desk.cloud.as_role(PersonRole.ADMINISTRATOR)
    (kiosk_side,) = [
        r
        for r in (await admin.get(f"{DESK}/calls/{call_id}/recordings")).json()
        if r["side"] == "kiosk"
    ]
    recordings = desk.cloud.parts.recordings
    assert await recordings.expire(utcnow() + timedelta(days=89)) == 0
    assert await recordings.expire(utcnow() + timedelta(days=91)) == 2
    assert not any((recordings.root).rglob("*.webm"))
    after = (await admin.get(f"{DESK}/calls/{call_id}/recordings")).json()
    assert {r["state"] for r in after} == {"deleted"} and all(r["deleted_at"] for r in after)
    gone = await admin.get(kiosk_side["media_url"])
    assert gone.status_code == 404 and "help_recording_days" in gone.json()["message"]


async def test_a_call_made_with_recording_off_records_nothing(
    tmp_path: Path, amqtt_url: str
) -> None:
    loopback_only()
    async with help_cloud(tmp_path, amqtt_url) as desk:
        alice = await desk.operator("alice")
        kiosk = await desk.kiosk()
        call_id = (await kiosk.post(CALLS, json=call_body())).json()["call_id"]
        await alice.post(f"{DESK}/calls/{call_id}/accept")
        await alice.post(f"{DESK}/calls/{call_id}/end", json={"outcome": "solved", "note": ""})
        admin = await desk.cloud.as_role(PersonRole.ADMINISTRATOR)
        assert (await admin.get(f"{DESK}/calls/{call_id}/recordings")).json() == []
        assert not (tmp_path / "recordings").exists()
