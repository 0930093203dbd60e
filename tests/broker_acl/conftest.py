"""Fixtures: one dynsec Mosquitto per module, an admin connection, fresh device ids."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from cloud.broker_acl.access import ClientExists
from cloud.broker_acl.dynsec import DynsecAccess, open_dynsec
from tests.broker_acl.dynsec_broker import ADMIN, DynsecBroker, running_dynsec_broker

CLOUD_USER = "kf-cloud-test"
CLOUD_PASSWORD = "cloud-pass"


@pytest.fixture(scope="module")
def dynsec_broker() -> Iterator[DynsecBroker]:
    with running_dynsec_broker() as broker:
        yield broker


@pytest.fixture
async def acl(dynsec_broker: DynsecBroker) -> AsyncIterator[DynsecAccess]:
    """The admin connection, roles ensured and the cloud identity present."""
    b = dynsec_broker
    async with open_dynsec(b.host, b.port, ADMIN, b.admin_password, shared_group="kf") as access:
        await access.ensure_roles()
        with contextlib.suppress(ClientExists):  # module-scoped broker, per-test admin link
            await access.add_cloud_client(CLOUD_USER, CLOUD_PASSWORD)
        yield access


def new_id() -> str:
    """A device id no other test uses (the broker lives for the whole module)."""
    return f"dev-{uuid.uuid4().hex[:10]}"
