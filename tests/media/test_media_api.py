"""WHIP/WHEP and the stream routes through the real app: tokens, scope, SDP handling, a
viewer that receives the publisher's frames, view links for players without an account."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.media.tokens import MediaTokens
from cloud.settings import Settings
from fleet.access import PersonRole
from tests.access.kit import HHL, TGLS, AccessCloud, access_cloud, device_with_secret
from tests.media.media_kit import (
    accept,
    loopback_only,
    publisher,
    publisher_offer,
    viewer,
    viewer_offer,
)

STREAM = "mon-kiosk-m1"
WHIP = f"/api/v1/media/streams/{STREAM}/whip"
WHEP = f"/api/v1/media/streams/{STREAM}/whep"
SDP = {"Content-Type": "application/sdp"}


@pytest.fixture
async def cloud(tmp_path: Path, amqtt_url: str) -> AsyncIterator[AccessCloud]:
    loopback_only()
    settings = Settings(data_dir=tmp_path, mqtt_url=amqtt_url, demo=True)
    async with access_cloud(settings) as c:
        await device_with_secret(c.parts, "kiosk-m1", HHL)
        yield c


def _auth(token: str) -> dict[str, str]:
    return {**SDP, "Authorization": f"Bearer {token}"}


async def _publish(cloud: AccessCloud) -> tuple[object, str]:
    pub = await publisher()
    token = cloud.parts.media.mint_publish(STREAM, 600)
    anon = await cloud.client()
    r = await anon.post(WHIP, content=pub.offer_sdp, headers=_auth(token))
    assert r.status_code == 201, r.text
    assert r.headers["content-type"].startswith("application/sdp")
    assert r.headers["location"].startswith(f"{WHIP}/")
    await accept(pub.pc, r.text)
    return pub, r.headers["location"]


async def test_an_operator_watches_a_published_stream_and_leaves(cloud: AccessCloud) -> None:
    pub, _location = await _publish(cloud)
    operator = await cloud.as_role(PersonRole.OPERATOR, "qh/hx")
    v = await viewer()
    try:
        r = await operator.post(WHEP, content=v.offer_sdp, headers=SDP)
        assert r.status_code == 201, r.text
        await accept(v.pc, r.text)
        await v.until_levels(3)
        listed = (await operator.get("/api/v1/media/streams")).json()
        (mine,) = [s for s in listed if s["stream_id"] == STREAM]
        assert mine["viewers"] == 1 and mine["site_path"] == HHL
        assert mine["passthrough"] is True and mine["backend"] == "aiortc"
        assert mine["device_id"] == "kiosk-m1" and mine["purpose"] == "monitor"
        scrape = (await (await cloud.client()).get("/metrics")).text
        assert "kfleet_media_streams 1.0" in scrape
        assert (
            'kfleet_media_stream_viewers{device="kiosk-m1",purpose="monitor",'
            f'site="{HHL}",stream_id="{STREAM}"}} 1.0'
        ) in scrape
        gone = await operator.delete(r.headers["location"])
        assert gone.status_code == 204
        assert cloud.parts.media.backend.sessions_of(STREAM)[1] == []  # type: ignore[attr-defined]
        again = await operator.delete(r.headers["location"])
        assert again.status_code == 404 and again.json()["code"] == "session_not_found"
        assert await cloud.audit_rows("media.view")
    finally:
        await v.close()
        await pub.pc.close()  # type: ignore[attr-defined]


async def test_whip_refuses_missing_wrong_and_foreign_tokens(cloud: AccessCloud) -> None:
    anon = await cloud.client()
    media = cloud.parts.media
    offer = await publisher_offer()
    cases = [
        ({**SDP}, 401, "no_credentials"),
        (_auth("kfm_forged.mac"), 401, "bad_media_token"),
        (_auth(media.mint_view(STREAM, 600, "city")), 401, "bad_media_token"),
        (_auth(media.mint_publish("mon-other", 600)), 403, "wrong_stream"),
    ]
    for headers, status, code in cases:
        r = await anon.post(WHIP, content=offer, headers=headers)
        assert (r.status_code, r.json()["code"]) == (status, code), r.text
    admin = await cloud.as_role(PersonRole.ADMINISTRATOR)
    r = await admin.post(WHIP, content=offer, headers=SDP)
    assert (r.status_code, r.json()["code"]) == (403, "publish_token_required")


async def test_an_expired_publish_token_is_refused(cloud: AccessCloud) -> None:
    secret = cloud.parts.settings.secret_key.get_secret_value()
    yesterday = MediaTokens(secret, clock=lambda: time.time() - 86_400)
    stale = yesterday.mint_publish(STREAM, 600)
    anon = await cloud.client()
    r = await anon.post(WHIP, content="v=0\r\nm=video 9\r\n", headers=_auth(stale))
    assert (r.status_code, r.json()["code"]) == (401, "token_expired")


async def test_bad_offers_and_content_types(cloud: AccessCloud) -> None:
    anon = await cloud.client()
    token = cloud.parts.media.mint_publish(STREAM, 600)
    r = await anon.post(WHIP, content="{}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 415
    for junk in ["hello", "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"]:
        r = await anon.post(WHIP, content=junk, headers=_auth(token))
        assert (r.status_code, r.json()["code"]) == (422, "bad_offer"), r.text
    audio_only = (await publisher_offer()).split("m=video")[0]
    r = await anon.post(WHIP, content=audio_only, headers=_auth(token))
    assert r.status_code == 422, r.text


async def test_viewers_outside_the_scope_or_role_are_refused(cloud: AccessCloud) -> None:
    pub, _ = await _publish(cloud)
    try:
        offer = await viewer_offer()
        elsewhere = await cloud.as_role(PersonRole.OPERATOR, TGLS)
        r = await elsewhere.post(WHEP, content=offer, headers=SDP)
        assert (r.status_code, r.json()["code"]) == (404, "stream_not_live")
        assert (await elsewhere.get("/api/v1/media/streams")).json() == []
        tech = await cloud.as_role(PersonRole.TECHNICIAN)
        r = await tech.post(WHEP, content=offer, headers=SDP)
        assert (r.status_code, r.json()["code"]) == (403, "permission_denied")
        anon = await cloud.client()
        r = await anon.post(WHEP, content=offer, headers=SDP)
        assert (r.status_code, r.json()["code"]) == (401, "no_credentials")
        other = cloud.parts.media.mint_view("mon-other", 600, "city")
        r = await anon.post(WHEP, content=offer, headers=_auth(other))
        assert (r.status_code, r.json()["code"]) == (403, "wrong_stream")
    finally:
        await pub.pc.close()  # type: ignore[attr-defined]


async def test_a_view_link_lets_a_player_without_an_account_watch(cloud: AccessCloud) -> None:
    pub, _ = await _publish(cloud)
    operator = await cloud.as_role(PersonRole.OPERATOR, "qh/hx")
    r = await operator.post(
        "/api/v1/media/view-tokens", json={"stream_id": STREAM, "ttl_s": 600, "viewer": "city"}
    )
    assert r.status_code == 201, r.text
    link = r.json()
    assert link["whep_url"].endswith(WHEP)
    v = await viewer()
    try:
        player = await cloud.client()
        answer = await player.post(WHEP, content=v.offer_sdp, headers=_auth(link["token"]))
        assert answer.status_code == 201, answer.text
        await accept(v.pc, answer.text)
        await v.until_levels(3)
        await v.until_audio()  # and the sound: the tone's frames decode too
        assert await cloud.audit_rows("media.view_token")
    finally:
        await v.close()
        await pub.pc.close()  # type: ignore[attr-defined]


async def test_a_stream_nobody_publishes_is_not_live(cloud: AccessCloud) -> None:
    operator = await cloud.as_role(PersonRole.OPERATOR)
    r = await operator.post(WHEP, content=await viewer_offer(), headers=SDP)
    assert (r.status_code, r.json()["code"]) == (404, "stream_not_live")
