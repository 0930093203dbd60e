"""Anonymous access on the embedded broker is off unless asked for, and then it is open."""

from __future__ import annotations

import pytest

from cloud.broker_acl.memory import MemoryAccess
from kfleet.world.broker import EmbeddedBroker, main
from tests.broker_acl.clients import connect_refused, connected

NOT_AUTHORIZED = 0x87


def test_an_embedded_broker_nobody_could_use_is_refused() -> None:
    with pytest.raises(ValueError, match="allow_anonymous=True"):
        EmbeddedBroker()


def test_the_standalone_broker_requires_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--port", "1"])
    assert exited.value.code == 2 and "--allow-anonymous" in capsys.readouterr().err


async def test_anonymous_only_when_asked_for() -> None:
    access = MemoryAccess()
    closed = EmbeddedBroker(directory=access)
    opened = EmbeddedBroker(directory=access, allow_anonymous=True)
    await closed.start()
    await opened.start()
    try:
        assert await connect_refused(closed, None, None) == NOT_AUTHORIZED
        async with connected(opened, None, None) as anon:
            (rc,) = await anon.subscribe("kf/#", qos=1)  # open means open: development only
        assert not rc.is_failure
        assert await connect_refused(opened, "kiosk-x", "no-such-identity") == NOT_AUTHORIZED
    finally:
        await closed.stop()
        await opened.stop()
