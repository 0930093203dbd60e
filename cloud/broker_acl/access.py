"""The interface every broker access-control backend implements, and its errors."""

from __future__ import annotations

from typing import Protocol


class BrokerAclError(RuntimeError):
    """The broker refused an access-control command; ``command`` and ``reason`` say which
    and why (the broker's own words)."""

    def __init__(self, command: str, reason: str, hint: str = "") -> None:
        self.command = command
        self.reason = reason
        msg = f"broker refused {command}: {reason}"
        super().__init__(f"{msg}. {hint}" if hint else msg)


class ClientExists(BrokerAclError):
    """A broker identity with that username is already there."""


class ClientNotFound(BrokerAclError):
    """No broker identity has that username."""


class BrokerAccess(Protocol):
    """Broker identities and what each may do; every method is idempotent where it can be."""

    async def ensure_roles(self) -> None:
        """Create the ``kf-device`` and ``kf-cloud`` roles with their ACLs, default deny."""

    async def add_device(self, device_id: str, password: str, site_path: str | None = None) -> None:
        """A device identity (username = device id) limited to its own topics and, given
        ``site_path``, its site's content (without it: no site content at all)."""

    async def set_password(self, username: str, password: str) -> None:
        """Rotate a password: the new one works at once, the old one is refused."""

    async def disable_device(self, device_id: str) -> None:
        """Revoke: the device is disconnected now and refused on reconnect."""

    async def enable_device(self, device_id: str) -> None:
        """Undo :meth:`disable_device`."""

    async def remove_device(self, device_id: str) -> None:
        """Delete the identity (and disconnect it)."""

    async def add_cloud_client(self, username: str, password: str) -> None:
        """The cloud's identity: reads every device's upstream, publishes commands."""
