"""The :class:`~cloud.broker_acl.directory.Directory` over the cloud's database: device
credentials are :class:`~cloud.db.identity.DeviceCredential` rows, the cloud's identity comes
from its settings.

Cheap on purpose (the broker asks on every publish): secrets are SHA-256 digests (every device
secret is 256 random bits, no slow KDF needed), and :meth:`DbDirectory.identity` answers from
a small TTL cache. Revocation stays immediate: the cloud that revokes calls
:meth:`DbDirectory.forget` (through :class:`cloud.broker_acl.hooked.HookedAccess`) in the same
process; another cloud process sees it within ``ttl_s`` at worst. Logins are never cached.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth import secrets
from cloud.broker_acl.directory import CloudLogin
from cloud.broker_acl.rules import Identity
from cloud.db.identity import DeviceCredential
from cloud.db.models import Device, Site
from protocols.topics import DEVICE_ID_RE

DEFAULT_TTL_S = 2.0


class DbDirectory:
    """Devices from the database, the cloud from ``cloud``; see the module docstring."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        cloud: CloudLogin,
        *,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = sessions
        self._cloud = cloud
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, Identity | None]] = {}

    async def authenticate(self, username: str | None, password: str | None) -> Identity | None:
        if self._cloud.owns(username):
            return self._cloud.identity() if self._cloud.accepts(username, password) else None
        if not username or not password or not DEVICE_ID_RE.match(username):
            return None
        async with self._sessions() as s:
            device = await s.get(Device, username)
            if device is None or device.revoked_at is not None:
                return None
            if not any(secrets.matches(password, h) for h in await _current_digests(s, username)):
                return None
            found = Identity(username, site_path=await _site_path(s, device))
        self._cache[username] = (self._clock(), found)
        return found

    async def identity(self, username: str) -> Identity | None:
        if self._cloud.owns(username):
            return self._cloud.identity()
        hit = self._cache.get(username)
        if hit is not None and self._clock() - hit[0] < self._ttl_s:
            return hit[1]
        found = await self._lookup(username)
        self._cache[username] = (self._clock(), found)
        return found

    def forget(self, username: str) -> None:
        """Drop what the cache knows of ``username`` (call it on revoke and rotate)."""
        self._cache.pop(username, None)

    async def _lookup(self, username: str) -> Identity | None:
        if not DEVICE_ID_RE.match(username):
            return None
        async with self._sessions() as s:
            device = await s.get(Device, username)
            if device is None or device.revoked_at is not None:
                return None
            if not await _current_digests(s, username):
                return None
            return Identity(username, site_path=await _site_path(s, device))


async def _current_digests(s: AsyncSession, device_id: str) -> list[str]:
    """Digests of the device's usable MQTT secrets: not revoked, not retired. A rotation
    retires the old secret, so (as with dynsec's ``setClientPassword``) the broker refuses it
    at once; HTTP may still accept it until ``retired_at`` (``cloud.auth.resolve``)."""
    rows = await s.scalars(
        select(DeviceCredential.secret_hash).where(
            DeviceCredential.device_id == device_id,
            DeviceCredential.revoked_at.is_(None),
            DeviceCredential.retired_at.is_(None),
        )
    )
    return list(rows)


async def _site_path(s: AsyncSession, device: Device) -> str | None:
    site = await s.get(Site, device.site_id)
    return site.path if site is not None else None
