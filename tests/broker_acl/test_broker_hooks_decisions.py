"""The EMQX-style authz hook decides exactly as :func:`cloud.broker_acl.decide.may` (the
table Mosquitto gets), for every identity kind against a generated set of topics."""

from __future__ import annotations

import itertools
from pathlib import Path

from cloud.broker_acl.decide import Action, may
from cloud.broker_acl.rules import Identity
from protocols.topics import (
    DeviceChannel,
    device_topic,
    site_content_filter,
    site_topic,
    upstream_filter,
)
from tests.broker_acl.hook_kit import (
    CLOUD_USER,
    hook_cloud,
    hook_headers,
    hook_settings,
    make_device,
    revoke_in_db,
)

HALL, OTHER = "qh/hx/golmud/hhl", "qh/hx/golmud/tgls"
A, B, GONE, UNKNOWN = "kiosk-a", "kiosk-b", "kiosk-gone", "kiosk-nobody"


def _topics() -> list[str]:
    topics = [device_topic(d, ch) for d in (A, B) for ch in DeviceChannel]
    for site in (HALL, OTHER, "qh/hx/golmud"):
        topics += [site_content_filter(site), site_topic(site, "floorplan")]
    topics += [upstream_filter(), upstream_filter("kf"), "#", "kf/v1/site/#", f"kf/v1/dev/{A}/#"]
    return topics


#: what the rules say each username is (revoked and unknown: no identity at all)
EXPECTED: dict[str, Identity | None] = {
    CLOUD_USER: Identity(CLOUD_USER, is_cloud=True),
    A: Identity(A, site_path=HALL),
    B: Identity(B, site_path=OTHER),
    GONE: None,
    UNKNOWN: None,
    "": None,
}


async def test_authz_matches_the_rules_for_every_case(tmp_path: Path, hook_db: str) -> None:
    async with hook_cloud(hook_settings(tmp_path, database_url=hook_db)) as cloud:
        for dev, site in ((A, HALL), (B, OTHER), (GONE, HALL)):
            await make_device(cloud.parts, dev, site, f"secret-{dev}")
        await revoke_in_db(cloud.parts, GONE)
        allowed = 0
        cases = itertools.product(EXPECTED.items(), _topics(), ("publish", "subscribe"))
        for (username, identity), topic, action in cases:
            body = {"username": username, "clientid": "c1", "topic": topic, "action": action}
            r = await cloud.client.post("/api/v1/broker/authz", json=body, headers=hook_headers())
            assert r.status_code == 200, r.text
            act = Action.PUBLISH if action == "publish" else Action.SUBSCRIBE
            want = identity is not None and may(identity, act, topic, "kf")
            assert r.json() == {"result": "allow" if want else "deny"}, (username, topic, action)
            allowed += want
    # A and B: 5 upstream publishes + cmd, state, content subscribes = 8 each; the cloud: 2 cmd
    # + 7 under kf/v1/site/# (wildcard "topics" too: brokers refuse those publishes first)
    # + 2 upstream subscribes = 11
    assert allowed == 27


async def test_known_answers(tmp_path: Path) -> None:
    """A few cases spelled out, so a rule table broken in both places cannot pass above."""
    async with hook_cloud(hook_settings(tmp_path)) as cloud:
        await make_device(cloud.parts, A, HALL, "s")

        async def result(username: str, topic: str, action: str) -> str:
            body = {"username": username, "topic": topic, "action": action, "qos": "1"}
            r = await cloud.client.post("/api/v1/broker/authz", json=body, headers=hook_headers())
            return str(r.json()["result"])

        assert await result(A, device_topic(A, DeviceChannel.ACK), "publish") == "allow"
        assert await result(A, device_topic(A, DeviceChannel.CMD), "publish") == "deny"
        assert await result(A, site_content_filter(HALL), "subscribe") == "allow"
        assert await result(A, site_content_filter(OTHER), "subscribe") == "deny"
        assert await result(CLOUD_USER, device_topic(A, DeviceChannel.CMD), "publish") == "allow"
        assert await result(CLOUD_USER, "$share/kf/kf/v1/dev/+/+", "subscribe") == "allow"
