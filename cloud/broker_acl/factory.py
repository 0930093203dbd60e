"""Which :class:`~cloud.broker_acl.access.BrokerAccess` a cloud uses, from
``settings.broker_acl``. The one place backends are chosen: new ones are added here.

- ``none``: :class:`~cloud.broker_acl.null.NullAccess` (the broker is open: development only);
- ``dynsec``: :class:`~cloud.broker_acl.managed.ManagedDynsec`, the Mosquitto plugin driven
  over an admin connection (``broker_admin_username``/``password``) to the host of
  ``mqtt_url`` (``device_mqtt_url`` is what devices dial, it may be another name for it);
- ``http`` / ``embedded``: :class:`~cloud.broker_acl.hooked.HookedAccess` over a
  :class:`~cloud.broker_acl.db_directory.DbDirectory` (the broker asks the cloud per
  connection and topic: EMQX through ``/api/v1/broker/authn|authz``, the demo's amqtt through
  its plugins); identities are the database's rows, revoke drops the directory's cache and
  kicks through the registered kickers. Without ``sessions`` (no database at hand) they get
  :class:`DecidedElsewhere`.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.broker_acl.access import BrokerAccess
from cloud.broker_acl.db_directory import DbDirectory
from cloud.broker_acl.directory import CloudLogin
from cloud.broker_acl.hooked import HookedAccess
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


def broker_access_for(
    settings: Settings, sessions: async_sessionmaker[AsyncSession] | None = None
) -> RunningAccess:
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
        if sessions is None:
            return DecidedElsewhere()
        ep = settings.mqtt
        return HookedAccess(DbDirectory(sessions, CloudLogin(ep.username, ep.password)))
    return NullAccess()
