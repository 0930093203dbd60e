"""The broker a parametrized ACL test runs against: a dynsec Mosquitto or the embedded amqtt
with kfleet's plugins, each with the :class:`BrokerAccess` that manages its identities."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from cloud.broker_acl.access import BrokerAccess, ClientExists
from cloud.broker_acl.dynsec import open_dynsec
from cloud.broker_acl.memory import MemoryAccess
from kfleet.world.broker import EmbeddedBroker
from tests.broker_acl.dynsec_broker import ADMIN, DynsecBroker

CLOUD_USER = "kf-cloud-test"
CLOUD_PASSWORD = "cloud-pass"

Kind = Literal["mosquitto", "amqtt"]


@dataclass(frozen=True)
class BrokerUnderTest:
    kind: Kind
    host: str
    port: int
    acl: BrokerAccess


@contextlib.asynccontextmanager
async def mosquitto_under_test(b: DynsecBroker) -> AsyncIterator[BrokerUnderTest]:
    """The admin connection, roles ensured and the cloud identity present."""
    async with open_dynsec(b.host, b.port, ADMIN, b.admin_password, shared_group="kf") as access:
        await access.ensure_roles()
        with contextlib.suppress(ClientExists):  # module-scoped broker, per-test admin link
            await access.add_cloud_client(CLOUD_USER, CLOUD_PASSWORD)
        yield BrokerUnderTest("mosquitto", b.host, b.port, access)


@contextlib.asynccontextmanager
async def amqtt_under_test() -> AsyncIterator[BrokerUnderTest]:
    """amqtt in this event loop, identities in memory, revoke kicking through the broker."""
    access = MemoryAccess()
    await access.add_cloud_client(CLOUD_USER, CLOUD_PASSWORD)
    broker = EmbeddedBroker(directory=access)
    access.kickers.register(broker.kick)
    await broker.start()
    try:
        yield BrokerUnderTest("amqtt", broker.host, broker.port, access)
    finally:
        await broker.stop()
