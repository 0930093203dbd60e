"""The EMQX-style hooks: who logs in, the shared secret, bad bodies, and revocation that
takes effect at once despite the identity cache."""

from __future__ import annotations

from pathlib import Path

from cloud.api.broker_auth import hook_directory
from cloud.broker_acl.hooked import HookedAccess
from protocols.topics import DeviceChannel, device_topic
from tests.broker_acl.hook_kit import (
    CLOUD_PASSWORD,
    CLOUD_USER,
    hook_cloud,
    hook_headers,
    hook_settings,
    make_device,
    revoke_in_db,
)
from tests.identity_kit import bearer, make_api_token

HALL = "qh/hx/golmud/hhl"
AUTHN, AUTHZ = "/api/v1/broker/authn", "/api/v1/broker/authz"


async def test_authn_allows_live_devices_and_the_cloud_only(tmp_path: Path, hook_db: str) -> None:
    async with hook_cloud(hook_settings(tmp_path, database_url=hook_db)) as cloud:
        await make_device(cloud.parts, "kiosk-a", HALL, "right")
        await make_device(cloud.parts, "kiosk-gone", HALL, "right")
        await revoke_in_db(cloud.parts, "kiosk-gone")
        cases = [
            ({"username": "kiosk-a", "password": "right"}, "allow"),
            ({"username": "kiosk-a", "password": "wrong"}, "deny"),
            ({"username": "kiosk-gone", "password": "right"}, "deny"),
            ({"username": "kiosk-nobody", "password": "right"}, "deny"),
            ({"username": CLOUD_USER, "password": CLOUD_PASSWORD}, "allow"),
            ({"username": CLOUD_USER, "password": "right"}, "deny"),
            ({"username": "", "password": ""}, "deny"),  # anonymous
            ({"clientid": "no-username"}, "deny"),
        ]
        for body, want in cases:
            full = {"clientid": "c1", "peerhost": "10.0.0.9", **body}
            r = await cloud.client.post(AUTHN, json=full, headers=hook_headers())
            assert r.status_code == 200, r.text
            assert r.json() == {"result": want, "is_superuser": False}, body


async def test_a_wrong_or_missing_secret_is_401(tmp_path: Path) -> None:
    body = {"username": CLOUD_USER, "password": CLOUD_PASSWORD}
    async with hook_cloud(hook_settings(tmp_path)) as cloud:
        for headers in (hook_headers("not-the-secret"), {}):
            for path in (AUTHN, AUTHZ):
                r = await cloud.client.post(path, json=body, headers=headers)
                assert r.status_code == 401, r.text
                assert r.json()["code"] == "bad_hook_secret"
                assert "KFLEET_BROKER_HOOK_SECRET" in r.json()["message"]


async def test_hooks_are_off_without_a_secret(tmp_path: Path) -> None:
    body = {"username": CLOUD_USER, "password": CLOUD_PASSWORD}
    async with hook_cloud(hook_settings(tmp_path, secret="")) as cloud:
        r = await cloud.client.post(AUTHN, json=body, headers=hook_headers(""))
    assert r.status_code == 503 and r.json()["code"] == "broker_hooks_off", r.text


async def test_a_malformed_body_is_422_naming_the_field(tmp_path: Path) -> None:
    async with hook_cloud(hook_settings(tmp_path)) as cloud:
        bad_action = {"username": "kiosk-a", "topic": "kf/v1/dev/kiosk-a/ack", "action": "all"}
        r = await cloud.client.post(AUTHZ, json=bad_action, headers=hook_headers())
        assert r.status_code == 422 and "action" in r.text and "publish" in r.text, r.text
        r = await cloud.client.post(AUTHZ, json={"username": "x"}, headers=hook_headers())
        assert r.status_code == 422 and "topic" in r.text, r.text
        r = await cloud.client.post(AUTHN, content=b"[1,", headers=hook_headers())
        assert r.status_code in (400, 422), r.text


async def test_revoked_device_is_denied_at_once(tmp_path: Path) -> None:
    """Allowed a moment ago (and so in the identity cache), refused right after the revoke
    (``POST /api/v1/devices/{id}/revoke``): the revoke drops the cache entry and kicks."""
    topic = device_topic("kiosk-a", DeviceChannel.ACK)
    body = {"username": "kiosk-a", "topic": topic, "action": "publish"}
    async with hook_cloud(hook_settings(tmp_path)) as cloud:
        await make_device(cloud.parts, "kiosk-a", HALL, "right")
        r = await cloud.client.post(AUTHZ, json=body, headers=hook_headers())
        assert r.json() == {"result": "allow"}
        access = cloud.parts.access
        assert isinstance(access, HookedAccess) and access.directory is hook_directory(cloud.app)
        kicked: list[str] = []

        async def kicker(username: str) -> None:
            kicked.append(username)

        access.kickers.register(kicker)
        admin = bearer(await make_api_token(cloud.parts.sessions))
        r = await cloud.client.post(
            "/api/v1/devices/kiosk-a/revoke", json={"reason": "stolen"}, headers=admin
        )
        assert r.status_code == 200, r.text
        r = await cloud.client.post(AUTHZ, json=body, headers=hook_headers())
        assert r.json() == {"result": "deny"}
        creds = {"username": "kiosk-a", "password": "right"}
        r = await cloud.client.post(AUTHN, json=creds, headers=hook_headers())
        assert r.json()["result"] == "deny"
    assert kicked == ["kiosk-a"]


async def test_qos_and_retain_as_emqx_renders_them(tmp_path: Path) -> None:
    """Numbers or their strings are fine; anything else is a 422 (found by the fuzzer:
    ``"retain": 0`` and a NUL in ``peerhost`` were accepted)."""
    base = {"username": "x", "topic": "kf/v1/dev/x/ack", "action": "publish"}
    async with hook_cloud(hook_settings(tmp_path)) as cloud:
        for extra in ({"qos": 1, "retain": True}, {"qos": "2", "retain": "false"}, {"qos": 2.0}):
            r = await cloud.client.post(AUTHZ, json=base | extra, headers=hook_headers())
            assert r.status_code == 200, (extra, r.text)
        for extra in ({"retain": 0}, {"qos": 3}, {"qos": "one"}, {"qos": True}):
            r = await cloud.client.post(AUTHZ, json=base | extra, headers=hook_headers())
            assert r.status_code == 422, (extra, r.text)
        nul = {"username": "x", "password": "y", "peerhost": "10.0.0.1\u0000"}
        r = await cloud.client.post(AUTHN, json=nul, headers=hook_headers())
        assert r.status_code == 422 and "NUL" in r.text, r.text


async def test_more_template_fields_are_fine_if_they_are_strings(tmp_path: Path) -> None:
    """An operator may template more of EMQX's placeholders (all render as strings)."""
    body = {"username": "x", "topic": "t", "action": "publish", "proto_name": "MQTT"}
    async with hook_cloud(hook_settings(tmp_path)) as cloud:
        r = await cloud.client.post(AUTHZ, json=body, headers=hook_headers())
        assert r.status_code == 200, r.text
        r = await cloud.client.post(AUTHZ, json=body | {"x": {"y": 1}}, headers=hook_headers())
        assert r.status_code == 422 and "x" in r.text, r.text
