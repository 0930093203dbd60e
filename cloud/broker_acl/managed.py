"""The dynsec backend kept connected for a running cloud: one admin connection, re-opened
when it drops, ``ensure_roles()`` on every connect.

Callers (enroll, rotate, revoke) wait a bounded time for the connection; if the broker stays
unreachable they get a :class:`BrokerAclError` saying so, and the action is not half-done
(the enrollment service rolls its transaction back).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from typing import TypeVar

import aiomqtt

from cloud.broker_acl.access import BrokerAclError
from cloud.broker_acl.dynsec import DynsecAccess, open_dynsec

log = logging.getLogger(__name__)

T = TypeVar("T")
#: how long a call waits for the admin connection before it gives up
CONNECT_WAIT_S = 10.0
RETRY_MAX_S = 30.0


class ManagedDynsec:
    """A :class:`~cloud.broker_acl.access.BrokerAccess` over a self-healing admin link."""

    enforced = True

    def __init__(
        self,
        host: str,
        port: int,
        admin_user: str,
        admin_password: str,
        *,
        shared_group: str | None = None,
        tls: bool = False,
    ) -> None:
        self._where = (host, port)
        self._admin = (admin_user, admin_password)
        self._shared_group = shared_group
        self._tls = tls
        self._current: DynsecAccess | None = None
        self._up = asyncio.Event()
        self.last_error = ""

    async def run(self) -> None:
        """Keep the admin connection open until cancelled (a worker of the app)."""
        delay = 1.0
        while True:
            try:
                await self._session()
                delay = 1.0
            except (aiomqtt.MqttError, BrokerAclError, OSError) as err:
                self.last_error = str(err)
                log.error(
                    "broker access control: the admin connection to %s:%d as %r failed (%s); "
                    "enroll, rotate and revoke wait for it. Check KFLEET_BROKER_ADMIN_USERNAME/"
                    "PASSWORD and that the dynamic-security plugin is loaded; retrying in %.0f s",
                    *self._where,
                    self._admin[0],
                    err,
                    delay,
                )
            finally:
                self._current = None
                self._up.clear()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def _session(self) -> None:
        host, port = self._where
        context = ssl.create_default_context() if self._tls else None
        async with open_dynsec(
            host, port, *self._admin, shared_group=self._shared_group, tls_context=context
        ) as access:
            await access.ensure_roles()
            self._current = access
            self._up.set()
            log.info("broker access control: dynsec admin connected to %s:%d", host, port)
            await access.closed()

    async def _call(self, op: str, fn: Callable[[DynsecAccess], Awaitable[T]]) -> T:
        try:
            async with asyncio.timeout(CONNECT_WAIT_S):
                await self._up.wait()
        except TimeoutError:
            raise BrokerAclError(
                op,
                f"no admin connection to the broker at {self._where[0]}:{self._where[1]} "
                f"within {CONNECT_WAIT_S:.0f} s ({self.last_error or 'still connecting'})",
                "check the broker is up and KFLEET_BROKER_ADMIN_USERNAME/PASSWORD; try again",
            ) from None
        current = self._current
        if current is None:  # dropped between the wait and now
            raise BrokerAclError(op, "the admin connection to the broker just dropped", "retry")
        return await fn(current)

    async def ensure_roles(self) -> None:
        await self._call("ensure_roles", lambda a: a.ensure_roles())

    async def add_device(self, device_id: str, password: str) -> None:
        await self._call("createClient", lambda a: a.add_device(device_id, password))

    async def set_password(self, username: str, password: str) -> None:
        await self._call("setClientPassword", lambda a: a.set_password(username, password))

    async def disable_device(self, device_id: str) -> None:
        await self._call("disableClient", lambda a: a.disable_device(device_id))

    async def enable_device(self, device_id: str) -> None:
        await self._call("enableClient", lambda a: a.enable_device(device_id))

    async def remove_device(self, device_id: str) -> None:
        await self._call("deleteClient", lambda a: a.remove_device(device_id))

    async def add_cloud_client(self, username: str, password: str) -> None:
        await self._call("createClient", lambda a: a.add_cloud_client(username, password))
