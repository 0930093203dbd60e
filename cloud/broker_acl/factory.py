"""Which :class:`~cloud.broker_acl.access.BrokerAccess` a cloud uses, from
``settings.broker_acl``. The one place backends are chosen: new ones are added here.

- ``none``: :class:`~cloud.broker_acl.null.NullAccess` (the broker is open: development only);
- ``dynsec``: :class:`~cloud.broker_acl.managed.ManagedDynsec`, the Mosquitto plugin driven
  over an admin connection (``broker_admin_username``/``password``) to the host of
  ``mqtt_url`` (``device_mqtt_url`` is what devices dial, it may be another name for it);
- ``http`` / ``embedded``: not built here yet (the broker asks the cloud, or the demo's amqtt
  plugin does): until they are, they get a NullAccess-like backend that still enforces
  enrollment at ingest (``enforced`` True).
"""

from __future__ import annotations

from typing import Protocol

from cloud.broker_acl.access import BrokerAccess
from cloud.broker_acl.managed import ManagedDynsec
from cloud.broker_acl.null import NullAccess
from cloud.settings import Settings


class RunningAccess(BrokerAccess, Protocol):
    """A backend as the app runs it: a worker to keep it alive, and whether identities are
    enforced (births of unenrolled devices refused)."""

    enforced: bool

    async def run(self) -> None: ...


class DecidedElsewhere(NullAccess):
    """Backends whose broker asks the cloud per connection (``http``, ``embedded``): nothing
    to push to the broker, but identities are enforced."""

    enforced = True


def broker_access_for(settings: Settings) -> RunningAccess:
    """The backend ``settings.broker_acl`` names."""
    if settings.broker_acl == "dynsec":
        ep = settings.mqtt
        return ManagedDynsec(
            ep.host,
            ep.port,
            settings.broker_admin_username,
            settings.broker_admin_password.get_secret_value(),
            shared_group=settings.mqtt_shared_group,
            tls=ep.tls,
        )
    if settings.broker_acl in ("http", "embedded"):
        return DecidedElsewhere()
    return NullAccess()
