"""The :class:`BrokerAccess` of brokers that ask the cloud (``broker_acl = http``: EMQX's
HTTP hooks; ``embedded``: the demo's amqtt with a :class:`DbDirectory`).

The identities are the database's rows, written by enrollment, rotation and revoke; so adding
a device or a password is nothing to do here. Revoke must still take effect at once: it
drops the directory's cache entry (the next publish or subscribe is refused) and kicks the
device's live connections through the registered kickers (the embedded broker registers one;
for EMQX, kick through its REST API: ``DELETE /api/v5/clients/{clientid}``).
"""

from __future__ import annotations

from cloud.broker_acl.db_directory import DbDirectory
from cloud.broker_acl.kick import Kickers
from protocols.topics import check_device_id


class HookedAccess:
    """See the module docstring."""

    #: births of devices without a live credential are refused (the ingest gate)
    enforced = True

    def __init__(self, directory: DbDirectory) -> None:
        self.directory = directory
        self.kickers = Kickers()

    async def run(self) -> None:
        """Nothing to keep alive: the broker calls us."""

    async def ensure_roles(self) -> None:
        """The rules are :mod:`cloud.broker_acl.rules`, evaluated per request."""

    async def add_device(self, device_id: str, password: str, site_path: str | None = None) -> None:
        """The enrollment's DeviceCredential row is the identity."""
        self.directory.forget(check_device_id(device_id))

    async def set_password(self, username: str, password: str) -> None:
        """The rotation's new DeviceCredential row is the password."""
        self.directory.forget(username)

    async def disable_device(self, device_id: str) -> None:
        self.directory.forget(check_device_id(device_id))
        await self.kickers.kick(device_id)

    async def enable_device(self, device_id: str) -> None:
        self.directory.forget(check_device_id(device_id))

    async def remove_device(self, device_id: str) -> None:
        await self.disable_device(device_id)

    async def add_cloud_client(self, username: str, password: str) -> None:
        """The cloud's identity is its own ``mqtt_url`` credentials."""
