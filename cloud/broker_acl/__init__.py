"""Broker access control: who may publish and subscribe where, enforced by the broker.

:mod:`cloud.broker_acl.rules` is the ACL table (pure data), :mod:`cloud.broker_acl.access` the
interface every backend implements, :mod:`cloud.broker_acl.dynsec` the Mosquitto
dynamic-security backend driven over its ``$CONTROL`` topic.
"""

from cloud.broker_acl.access import (
    BrokerAccess,
    BrokerAclError,
    ClientExists,
    ClientNotFound,
)

__all__ = ["BrokerAccess", "BrokerAclError", "ClientExists", "ClientNotFound"]
