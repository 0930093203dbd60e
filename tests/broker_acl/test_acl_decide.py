"""Property tests of the ACL table, decided without a broker (the same rules dynsec gets)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cloud.broker_acl.decide import Action, allowed, topic_matches
from cloud.broker_acl.rules import cloud_acls, device_acls
from protocols.topics import UPSTREAM, DeviceChannel, device_topic, upstream_filter

ids = st.from_regex(r"[a-z0-9][a-z0-9_.-]{0,20}", fullmatch=True)
channels = st.sampled_from(list(DeviceChannel))
actions = st.sampled_from(list(Action))


@given(ids, channels)
def test_device_publishes_only_its_own_upstream(dev: str, ch: DeviceChannel) -> None:
    assert allowed(device_acls(dev), Action.PUBLISH, device_topic(dev, ch)) == (ch in UPSTREAM)


@given(ids, ids, channels, actions)
def test_device_can_do_nothing_on_another_device(
    dev: str, other: str, ch: DeviceChannel, action: Action
) -> None:
    if dev != other:
        assert not allowed(device_acls(dev), action, device_topic(other, ch))


@given(ids, channels)
def test_device_reads_only_its_cmd_and_state(dev: str, ch: DeviceChannel) -> None:
    mine = ch in (DeviceChannel.CMD, DeviceChannel.STATE)
    acls = device_acls(dev)
    assert allowed(acls, Action.SUBSCRIBE, device_topic(dev, ch)) == mine
    assert allowed(acls, Action.RECEIVE, device_topic(dev, ch)) == mine
    assert not allowed(acls, Action.SUBSCRIBE, f"kf/v1/dev/{dev}/#")


@given(ids, channels)
def test_cloud_reads_upstream_and_sends_cmd(dev: str, ch: DeviceChannel) -> None:
    acls = cloud_acls("kf")
    assert allowed(acls, Action.RECEIVE, device_topic(dev, ch)) == (ch in UPSTREAM)
    assert allowed(acls, Action.PUBLISH, device_topic(dev, ch)) == (ch is DeviceChannel.CMD)
    assert allowed(acls, Action.SUBSCRIBE, upstream_filter("kf"))
    assert not allowed(acls, Action.SUBSCRIBE, "#")


def test_topic_matching() -> None:
    assert topic_matches("a/+/c", "a/b/c") and not topic_matches("a/+/c", "a/b/d")
    assert topic_matches("a/#", "a") and topic_matches("a/#", "a/b/c")
    assert not topic_matches("a/b", "a/b/c") and not topic_matches("a/b/c", "a/b")
