"""A :class:`~cloud.broker_acl.access.BrokerAccess` that does nothing: ``broker_acl=none``.

Development only: the broker is open, so any client can claim to be any device. Enrollment
still mints credentials (HTTP Basic works with them), but nothing at the broker checks them.
"""

from __future__ import annotations


class NullAccess:
    """Every call succeeds and changes nothing."""

    enforced = False

    async def run(self) -> None:
        """Nothing to keep alive."""

    async def ensure_roles(self) -> None:
        pass

    async def add_device(self, device_id: str, password: str) -> None:
        pass

    async def set_password(self, username: str, password: str) -> None:
        pass

    async def disable_device(self, device_id: str) -> None:
        pass

    async def enable_device(self, device_id: str) -> None:
        pass

    async def remove_device(self, device_id: str) -> None:
        pass

    async def add_cloud_client(self, username: str, password: str) -> None:
        pass
