"""Fixtures: one dynsec Mosquitto per module and its admin connection (``acl``), the broker
under test (``broker``: the same test on Mosquitto+dynsec and on the embedded amqtt), fresh
device ids."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from cloud.broker_acl.dynsec import DynsecAccess
from tests.broker_acl.dynsec_broker import DynsecBroker, running_dynsec_broker
from tests.broker_acl.under_test import (
    CLOUD_PASSWORD,
    CLOUD_USER,
    BrokerUnderTest,
    amqtt_under_test,
    mosquitto_under_test,
)
from tests.faults.databases import fresh_postgres

__all__ = ["CLOUD_PASSWORD", "CLOUD_USER", "new_id"]


@pytest.fixture(scope="module")
def dynsec_broker() -> Iterator[DynsecBroker]:
    with running_dynsec_broker() as broker:
        yield broker


@pytest.fixture
async def acl(dynsec_broker: DynsecBroker) -> AsyncIterator[DynsecAccess]:
    """The dynsec admin connection, roles ensured and the cloud identity present."""
    async with mosquitto_under_test(dynsec_broker) as under_test:
        assert isinstance(under_test.acl, DynsecAccess)
        yield under_test.acl


@pytest.fixture(params=["mosquitto", "amqtt"])
async def broker(request: pytest.FixtureRequest) -> AsyncIterator[BrokerUnderTest]:
    """The same ACL promises, checked on each broker kfleet supports."""
    if request.param == "amqtt":
        async with amqtt_under_test() as under_test:
            yield under_test
        return
    dynsec: DynsecBroker = request.getfixturevalue("dynsec_broker")
    async with mosquitto_under_test(dynsec) as under_test:
        yield under_test


@pytest.fixture(params=["sqlite", "postgres"])
def hook_db(request: pytest.FixtureRequest) -> Iterator[str]:
    """The cloud database behind the broker hooks: SQLite (``""``) or a fresh PostgreSQL one."""
    if request.param == "sqlite":
        yield ""
        return
    name = f"kf_hooks_{uuid.uuid4().hex[:10]}"
    with fresh_postgres(request.getfixturevalue("postgres_url"), name) as url:
        yield url


def new_id() -> str:
    """A device id no other test uses (the broker lives for the whole module)."""
    return f"dev-{uuid.uuid4().hex[:10]}"
