"""``GET /api/v1/notifications``: the record, filtered, paged, within the reader's subtree;
``/channels`` names the channels and never shows a target or a secret."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path
from typing import Any

import httpx

from cloud.notify.model import NoticeKind
from cloud.settings import Settings
from fleet.access import PersonRole
from tests.cloudkit import running_cloud
from tests.identity_kit import bearer, make_api_token
from tests.notify.kit import channels_json, notice, until_settled, webhook
from tests.notify.receiver import WebhookReceiver

SMS_KEY = "sms-api-key-very-secret"


async def _fill(cloud: Any) -> None:
    """Five notices in golmud (alerts 1-3), one in another prefecture; two channels each."""
    for n, (alert, kind) in enumerate(
        [
            (1, NoticeKind.OPENED),
            (1, NoticeKind.RESOLVED),
            (2, NoticeKind.OPENED),
            (3, NoticeKind.OPENED),
            (3, NoticeKind.ACKNOWLEDGED),
        ]
    ):
        await cloud.notify.notify(notice(n, kind, alert_id=alert), ["hook", "nowhere"])
    elsewhere = dataclasses.replace(notice(9, alert_id=4), key="x-9", site="qh/xn/cd")
    await cloud.notify.notify(elsewhere, ["hook"])


async def test_filters_paging_and_scope(tmp_path: Path, amqtt_url: str) -> None:
    receiver = await WebhookReceiver().start()
    sms = {
        "type": "sms",
        "name": "oncall",
        "url": "http://127.0.0.1:9/gw",
        "api_key": SMS_KEY,
        "template_id": "KF_ALERT",
        "numbers": ["+8613800000001"],
    }
    settings = Settings(
        data_dir=tmp_path,
        mqtt_url=amqtt_url,
        demo=True,
        notify_poll_s=0.1,
        notify_channels=channels_json(webhook(receiver.url, receiver.secret), sms),
    )
    try:
        async with running_cloud(settings) as (cloud, http), asyncio.timeout(30):
            await _fill(cloud)
            await until_settled(cloud.sessions, 11)
            await _check_filters(http)
            await _check_paging(http)
            local = await make_api_token(cloud.sessions, PersonRole.AUDITOR, "qh/hx/golmud")
            mine = await http.get("/api/v1/notifications", headers=bearer(local))
            everyone = await http.get("/api/v1/notifications", params={"limit": 500})
            channels = await http.get("/api/v1/notifications/channels")
            bad = await http.get("/api/v1/notifications", params={"state": "lost"})
    finally:
        await receiver.stop()
    assert {i["site"] for i in mine.json()["items"]} == {"qh/hx/golmud/hhl"}
    assert len(mine.json()["items"]) == 10 and len(everyone.json()["items"]) == 11
    assert channels.json() == {
        "channels": [{"name": "hook", "type": "webhook"}, {"name": "oncall", "type": "sms"}]
    }
    for answer in (channels, everyone):
        for secret in (SMS_KEY, receiver.secret, receiver.url, "+8613800000001"):
            assert secret not in answer.text
    assert bad.status_code == 422 and "state" in bad.text


async def _check_filters(http: httpx.AsyncClient) -> None:
    async def keys(**params: Any) -> list[tuple[str, str]]:
        r = await http.get("/api/v1/notifications", params=params)
        assert r.status_code == 200, r.text
        return [(i["key"], i["channel"]) for i in r.json()["items"]]

    assert await keys(alert=1, channel="hook") == [
        ("alert-1-resolved-1", "hook"),
        ("alert-1-opened-0", "hook"),
    ]
    dead = await keys(state="dead")
    assert len(dead) == 5 and {c for _, c in dead} == {"nowhere"}
    assert await keys(kind="acknowledged", state="delivered") == [
        ("alert-3-acknowledged-4", "hook")
    ]
    assert await keys(site="qh/xn") == [("x-9", "hook")]


async def _check_paging(http: httpx.AsyncClient) -> None:
    seen: list[int] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        page = (await http.get("/api/v1/notifications", params=params)).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 11
