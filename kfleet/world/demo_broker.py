"""The broker of ``kfleet demo``: the one given with ``--broker`` (open, or checking kfleet's
credentials itself), or an embedded amqtt that asks the cloud's database who may log in and
publish or subscribe where — the same ACL table Mosquitto's dynamic security enforces."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from cloud.broker_acl.hooked import HookedAccess
from cloud.wiring import Parts
from kfleet.errors import KfleetError
from kfleet.world.broker import EmbeddedBroker
from kfleet.world.demo_identity import CLOUD_BROKER_USER, cloud_broker_password
from kfleet.world.net import free_port


@dataclass(frozen=True)
class BrokerPlan:
    """Where the broker is: the URL devices dial, and the cloud's (with its login when the
    demo runs its own broker, which then admits only enrolled identities)."""

    device_url: str
    cloud_url: str
    embedded_port: int | None  # None: a broker given with --broker


def broker_plan(given_url: str | None) -> BrokerPlan:
    if given_url is not None:
        return BrokerPlan(given_url, given_url, None)
    port = free_port("127.0.0.1")
    login = f"{CLOUD_BROKER_USER}:{cloud_broker_password()}"
    return BrokerPlan(f"mqtt://127.0.0.1:{port}", f"mqtt://{login}@127.0.0.1:{port}", port)


@contextlib.asynccontextmanager
async def embedded_broker(plan: BrokerPlan, parts: Parts) -> AsyncIterator[None]:
    """amqtt on the planned port, asking the cloud's database who may do what (unless a
    broker was given)."""
    if plan.embedded_port is None:
        yield
        return
    if not isinstance(parts.access, HookedAccess):  # broker_acl overridden in cloud_settings
        raise KfleetError("the demo's own broker needs broker_acl=embedded; drop the override")
    broker = EmbeddedBroker(port=plan.embedded_port, directory=parts.access.directory)
    parts.access.kickers.register(broker.kick)  # a revoked device is disconnected at once
    await broker.start()
    try:
        yield
    finally:
        await broker.stop()
