"""Who a broker client is, for backends that ask per connection and per topic (the HTTP hook
for EMQX, the embedded amqtt broker) instead of holding the identities themselves (dynsec).

A :class:`Directory` answers two questions: do these credentials log someone in
(:meth:`~Directory.authenticate`), and who is this logged-in username now
(:meth:`~Directory.identity`, asked on every publish and subscribe, so a revoked device loses
every right at once even while its connection lasts). The decision itself is always
:func:`cloud.broker_acl.decide.may`, so every backend answers exactly as Mosquitto does.
"""

from __future__ import annotations

import hmac
from typing import Protocol

from cloud.broker_acl.rules import Identity


class Directory(Protocol):
    async def authenticate(self, username: str | None, password: str | None) -> Identity | None:
        """The identity these credentials log in as, or ``None`` (refused)."""

    async def identity(self, username: str) -> Identity | None:
        """The current identity of a logged-in username, ``None`` once it was revoked."""


class CloudLogin:
    """The cloud's own broker identity (from its ``mqtt_url``), checked in constant time."""

    def __init__(self, username: str | None, password: str | None) -> None:
        self.username = username or None
        self._password = password or ""

    def owns(self, username: str | None) -> bool:
        return self.username is not None and username == self.username

    def accepts(self, username: str | None, password: str | None) -> bool:
        return (
            self.owns(username)
            and bool(self._password)
            and hmac.compare_digest((password or "").encode(), self._password.encode())
        )

    def identity(self) -> Identity:
        return Identity(self.username or "", is_cloud=True)
