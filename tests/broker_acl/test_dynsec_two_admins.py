"""Two dynsec admin connections at once (a running cloud's, and an operator's or another
cloud's): every admin hears every answer on the one response topic, so each must take only
its own. Both numbered their commands ``kf-1, kf-2…``: the cloud's ``ensure_roles`` then
answered the test's ``createClient`` with "ACL with this topic already exists" (seen in a
full-suite run, then its teardown hung)."""

from __future__ import annotations

import asyncio

from cloud.broker_acl.access import ClientExists
from cloud.broker_acl.dynsec import open_dynsec
from tests.broker_acl.conftest import new_id
from tests.broker_acl.dynsec_broker import ADMIN, DynsecBroker


async def test_each_admin_connection_gets_its_own_answers(dynsec_broker: DynsecBroker) -> None:
    b = dynsec_broker
    taken = new_id()
    async with open_dynsec(b.host, b.port, ADMIN, b.admin_password) as setup:
        await setup.ensure_roles()  # the device role every device gets
        await setup.add_device(taken, "pass-taken-0123")
    for _ in range(3):
        fresh = new_id()
        async with (  # two new connections: their commands are numbered alike
            open_dynsec(b.host, b.port, ADMIN, b.admin_password) as one,
            open_dynsec(b.host, b.port, ADMIN, b.admin_password) as other,
        ):
            refused, added = await asyncio.gather(  # both send before either hears back
                one.add_device(taken, "pass-taken-0123"),  # already there: refused
                other.add_device(fresh, "pass-fresh-0123"),
                return_exceptions=True,
            )
        assert isinstance(refused, ClientExists), refused  # one's own answer
        assert added is None, added  # other's own answer: its device was created
