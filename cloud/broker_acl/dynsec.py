"""Mosquitto's dynamic-security plugin as a :class:`BrokerAccess` backend.

Commands go as JSON to ``$CONTROL/dynamic-security/v1``; the plugin answers on
``.../response`` with one entry per command, carrying our ``correlationData`` and an
``error`` string when it refused. Disabling or deleting a client makes the plugin kick its
connections, so revoke takes effect at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import ssl
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiomqtt

from cloud.broker_acl.access import BrokerAclError, ClientExists, ClientNotFound
from cloud.broker_acl.rules import (
    CLOUD_ROLE,
    DEFAULT_ACCESS,
    DEVICE_ROLE,
    Acl,
    cloud_acls,
    device_acls,
    device_role,
)
from protocols.topics import check_device_id

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
RESPONSE_TIMEOUT_S = 10.0
#: errors that mean "already as wanted" for an idempotent call
_ALREADY = ("Role already exists", "ACL with this topic already exists")

Command = dict[str, Any]


def _raise_for(command: str, error: str) -> None:
    if error == "Client already exists":
        raise ClientExists(command, error, "remove it first or rotate its password")
    if error == "Client not found":
        raise ClientNotFound(command, error, "add the device (enroll it) first")
    raise BrokerAclError(command, error)


class DynsecAccess:
    """Drives dynsec through an admin MQTT connection (see :func:`open_dynsec`)."""

    def __init__(self, client: aiomqtt.Client, shared_group: str | None = None) -> None:
        self._client = client
        self._shared_group = shared_group
        self._ids = itertools.count(1)
        # every admin connection hears every answer on the one response topic: a prefix of
        # its own keeps another connection's "kf-3" from answering this one's
        self._corr_prefix = f"kf-{uuid.uuid4().hex[:12]}"
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    async def closed(self) -> None:
        """Return (or raise the connection's error) when the admin connection ends."""
        if self._reader is not None:
            await asyncio.shield(self._reader)

    # -- transport ------------------------------------------------------------------------

    async def read_responses(self) -> None:
        """Resolve the futures of answered commands; runs for the connection's life."""
        async for message in self._client.messages:
            payload = message.payload
            if not isinstance(payload, bytes | bytearray):
                continue
            for resp in json.loads(payload).get("responses", []):
                fut = self._waiting.pop(str(resp.get("correlationData", "")), None)
                if fut is not None and not fut.done():
                    fut.set_result(resp)

    async def _run(self, command: Command, *, tolerate: tuple[str, ...] = ()) -> dict[str, Any]:
        corr = f"{self._corr_prefix}-{next(self._ids)}"
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[corr] = fut
        body = json.dumps({"commands": [{**command, "correlationData": corr}]})
        try:
            await self._client.publish(CONTROL_TOPIC, body, qos=1)
            resp = await asyncio.wait_for(fut, RESPONSE_TIMEOUT_S)
        except TimeoutError:
            raise BrokerAclError(
                command["command"],
                f"no answer on {RESPONSE_TOPIC} within {RESPONSE_TIMEOUT_S:.0f} s",
                "is the dynamic-security plugin loaded and is this user its admin?",
            ) from None
        finally:
            self._waiting.pop(corr, None)
        error = resp.get("error")
        if error and error not in tolerate:
            _raise_for(command["command"], str(error))
        return resp

    async def _role_with(self, rolename: str, acls: list[Acl]) -> None:
        await self._run({"command": "createRole", "rolename": rolename}, tolerate=_ALREADY)
        for acl in acls:
            await self._run(
                {
                    "command": "addRoleACL",
                    "rolename": rolename,
                    "acltype": acl.acltype,
                    "topic": acl.topic,
                    "allow": acl.allow,
                },
                tolerate=_ALREADY,
            )

    # -- BrokerAccess ---------------------------------------------------------------------

    async def ensure_roles(self) -> None:
        acls = [{"acltype": t, "allow": a} for t, a in DEFAULT_ACCESS.items()]
        await self._run({"command": "setDefaultACLAccess", "acls": acls})
        await self._role_with(DEVICE_ROLE, [])
        await self._role_with(CLOUD_ROLE, cloud_acls(self._shared_group))

    async def add_device(self, device_id: str, password: str, site_path: str | None = None) -> None:
        role = device_role(device_id)
        await self._role_with(role, device_acls(device_id, site_path))
        roles = [{"rolename": DEVICE_ROLE}, {"rolename": role}]
        await self._run(
            {"command": "createClient", "username": device_id, "password": password, "roles": roles}
        )

    async def set_password(self, username: str, password: str) -> None:
        await self._run(
            {"command": "setClientPassword", "username": username, "password": password}
        )

    async def disable_device(self, device_id: str) -> None:
        await self._run({"command": "disableClient", "username": check_device_id(device_id)})

    async def enable_device(self, device_id: str) -> None:
        await self._run({"command": "enableClient", "username": check_device_id(device_id)})

    async def remove_device(self, device_id: str) -> None:
        await self._run({"command": "deleteClient", "username": check_device_id(device_id)})
        await self._run({"command": "deleteRole", "rolename": device_role(device_id)})

    async def add_cloud_client(self, username: str, password: str) -> None:
        roles = [{"rolename": CLOUD_ROLE}]
        await self._run(
            {"command": "createClient", "username": username, "password": password, "roles": roles}
        )


@contextlib.asynccontextmanager
async def open_dynsec(
    host: str,
    port: int,
    admin_user: str,
    admin_password: str,
    *,
    shared_group: str | None = None,
    tls_context: ssl.SSLContext | None = None,
) -> AsyncIterator[DynsecAccess]:
    """Connect as the dynsec admin and yield a :class:`DynsecAccess` over that connection."""
    async with aiomqtt.Client(
        host,
        port,
        username=admin_user,
        password=admin_password,
        identifier=None,
        tls_context=tls_context,
    ) as client:
        await client.subscribe(RESPONSE_TOPIC, qos=1)
        access = DynsecAccess(client, shared_group)
        reader = access._reader = asyncio.create_task(access.read_responses())
        try:
            yield access
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
