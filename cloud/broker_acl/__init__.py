"""Broker access control: who may publish and subscribe where, enforced by the broker.

:mod:`cloud.broker_acl.rules` is the ACL table (pure data), :mod:`cloud.broker_acl.decide` the
same table as a decision, :mod:`cloud.broker_acl.access` the interface every backend
implements: :mod:`~cloud.broker_acl.dynsec` (Mosquitto dynamic security over ``$CONTROL``),
:mod:`~cloud.broker_acl.hooked` over :mod:`~cloud.broker_acl.db_directory` (brokers that ask
the cloud: EMQX's HTTP hooks, the embedded amqtt), :mod:`~cloud.broker_acl.memory` (in memory);
:mod:`~cloud.broker_acl.factory` picks one from the settings.
"""

from cloud.broker_acl.access import (
    BrokerAccess,
    BrokerAclError,
    ClientExists,
    ClientNotFound,
)

__all__ = ["BrokerAccess", "BrokerAclError", "ClientExists", "ClientNotFound"]
