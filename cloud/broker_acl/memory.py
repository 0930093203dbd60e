"""Broker identities kept in memory: a :class:`BrokerAccess` and a
:class:`~cloud.broker_acl.directory.Directory` in one, for an embedded broker that has no
database behind it (tests, or a caller that adds the identities itself).

It refuses what dynsec refuses, with the same command names and reasons, so code and tests
written against one backend hold for the other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cloud.auth import secrets
from cloud.broker_acl.access import ClientExists, ClientNotFound
from cloud.broker_acl.kick import Kickers
from cloud.broker_acl.rules import Identity
from protocols.topics import check_device_id, check_site_path


@dataclass(frozen=True)
class _Entry:
    identity: Identity
    digest: str
    enabled: bool = True


class MemoryAccess:
    """Identities in a dict; disabling or removing one kicks it through :attr:`kickers`."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self.kickers = Kickers()

    # -- Directory ------------------------------------------------------------------------

    async def authenticate(self, username: str | None, password: str | None) -> Identity | None:
        entry = self._entries.get(username or "")
        if entry is None or not entry.enabled or not password:
            return None
        return entry.identity if secrets.matches(password, entry.digest) else None

    async def identity(self, username: str) -> Identity | None:
        entry = self._entries.get(username)
        return entry.identity if entry is not None and entry.enabled else None

    # -- BrokerAccess ---------------------------------------------------------------------

    async def ensure_roles(self) -> None:
        """The rules are :mod:`cloud.broker_acl.rules` itself: nothing to install."""

    async def add_device(self, device_id: str, password: str, site_path: str | None = None) -> None:
        site = check_site_path(site_path) if site_path is not None else None
        self._add(Identity(check_device_id(device_id), site_path=site), password)

    async def set_password(self, username: str, password: str) -> None:
        entry = self._get("setClientPassword", username)
        self._entries[username] = replace(entry, digest=secrets.digest(password))

    async def disable_device(self, device_id: str) -> None:
        entry = self._get("disableClient", check_device_id(device_id))
        self._entries[device_id] = replace(entry, enabled=False)
        await self.kickers.kick(device_id)

    async def enable_device(self, device_id: str) -> None:
        entry = self._get("enableClient", check_device_id(device_id))
        self._entries[device_id] = replace(entry, enabled=True)

    async def remove_device(self, device_id: str) -> None:
        self._get("deleteClient", check_device_id(device_id))
        del self._entries[device_id]
        await self.kickers.kick(device_id)

    async def add_cloud_client(self, username: str, password: str) -> None:
        self._add(Identity(username, is_cloud=True), password)

    def _add(self, identity: Identity, password: str) -> None:
        if identity.username in self._entries:
            raise ClientExists(
                "createClient", "Client already exists", "remove it first or rotate its password"
            )
        self._entries[identity.username] = _Entry(identity, secrets.digest(password))

    def _get(self, command: str, username: str) -> _Entry:
        entry = self._entries.get(username)
        if entry is None:
            raise ClientNotFound(command, "Client not found", "add the device (enroll it) first")
        return entry
