"""amqtt plugins that make the embedded broker enforce kfleet's ACL table.

Identities come from a :class:`~cloud.broker_acl.directory.Directory` handed over in the
plugin config as an object (the broker runs in the same process as whoever owns the
identities: the demo's cloud, or a :class:`~cloud.broker_acl.memory.MemoryAccess`), not over
HTTP: no loop back through the cloud's own HTTP server and no shared secret to configure, and
the decision is the very same :func:`cloud.broker_acl.decide.may` the HTTP hook and the
property tests use.

amqtt 0.12 asks the topic plugins for ``publish`` (the message is dropped, the connection
kept: as Mosquitto on MQTT 3.1.1), ``subscribe`` (SUBACK ``0x80``) and ``receive`` (the
message is not delivered to that subscriber).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from amqtt.contexts import Action as AmqttAction
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from cloud.broker_acl.decide import Action, may
from cloud.broker_acl.directory import Directory

_ACTIONS = {
    AmqttAction.PUBLISH: Action.PUBLISH,
    AmqttAction.SUBSCRIBE: Action.SUBSCRIBE,
    AmqttAction.RECEIVE: Action.RECEIVE,
}


@dataclass
class KfleetPluginConfig:
    #: a :class:`Directory`; typed ``Any`` because amqtt builds the config with dacite
    directory: Any = None
    #: let clients without a username in, with no topic checks (development only)
    allow_anonymous: bool = False


def _directory(config: KfleetPluginConfig) -> Directory | None:
    directory: Directory | None = config.directory
    return directory


class KfleetAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt is untyped here
    """A client logs in with a username and password its directory accepts; without a
    username only if anonymous access was asked for."""

    Config = KfleetPluginConfig

    async def authenticate(self, *, session: Session) -> bool:
        config: KfleetPluginConfig = self.config
        if not session.username:
            session.is_anonymous = config.allow_anonymous
            return config.allow_anonymous
        directory = _directory(config)
        if directory is None:
            return False
        return await directory.authenticate(session.username, session.password) is not None


class KfleetTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]
    """Publish, subscribe and receive decided by :func:`may` for the session's identity, asked
    of the directory each time (a revoked device is refused from its next packet on)."""

    Config = KfleetPluginConfig

    async def topic_filtering(
        self,
        *,
        session: Session | None = None,
        topic: str | None = None,
        action: AmqttAction | None = None,
    ) -> bool:
        config: KfleetPluginConfig = self.config
        if session is None or topic is None or action is None:
            return False
        if not session.username:
            return config.allow_anonymous
        directory = _directory(config)
        identity = await directory.identity(session.username) if directory else None
        return identity is not None and may(identity, _ACTIONS[action], topic)
