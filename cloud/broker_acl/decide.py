"""The ACL table as a decision: may this identity do this on this topic?

The same rules the dynsec backend installs (:mod:`cloud.broker_acl.rules`), evaluated the way
Mosquitto's plugin does, for backends that ask us per request (an HTTP auth/ACL endpoint for
EMQX and similar) and to test the table without a broker.
"""

from __future__ import annotations

from enum import StrEnum

from cloud.broker_acl.rules import DEFAULT_ACCESS, Acl, Identity
from protocols.errors import TopicError


class Action(StrEnum):
    PUBLISH = "publishClientSend"
    RECEIVE = "publishClientReceive"
    SUBSCRIBE = "subscribe"


def topic_matches(flt: str, topic: str) -> bool:
    """MQTT matching of a concrete ``topic`` against a filter with ``+``/``#``."""
    f_parts, t_parts = flt.split("/"), topic.split("/")
    for i, part in enumerate(f_parts):
        if part == "#":
            return True  # every level before it matched
        if i >= len(t_parts) or (part != "+" and part != t_parts[i]):
            return False
    return len(f_parts) == len(t_parts)


def _applies(acl: Acl, action: Action, topic: str) -> bool:
    if action is Action.SUBSCRIBE:
        if acl.acltype == "subscribeLiteral":
            return acl.topic == topic
        return acl.acltype == "subscribePattern" and topic_matches(acl.topic, topic)
    return acl.acltype == action.value and topic_matches(acl.topic, topic)


def allowed(acls: list[Acl], action: Action, topic: str) -> bool:
    """The first rule that applies decides; none applies: the default (deny)."""
    for acl in acls:
        if _applies(acl, action, topic):
            return acl.allow
    return DEFAULT_ACCESS[action.value]


def may(identity: Identity, action: Action, topic: str, shared_group: str | None = None) -> bool:
    """:func:`allowed` for one identity's rules; a username that is not a valid device id
    (so has no rules at all) may do nothing."""
    try:
        acls = identity.acls(shared_group)
    except TopicError:
        return False
    return allowed(acls, action, topic)
