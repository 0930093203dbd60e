"""The Last Will, fired by the real broker for a real agent process, seen by the cloud.

The agent (``python -m kfleet agent run``, MQTT keepalive 5 s) connects to our own Mosquitto;
the cloud runs in-process. Nothing here publishes a will by hand: the offline state the cloud
shows is the will Mosquitto fired, and a witness subscribed to the state topic records it.

- ``killed``: the agent is SIGKILLed. The kernel closes its socket, so Mosquitto fires the
  will at once: the cloud shows the device offline, in the killed session, well within
  1.5x the keepalive of the kill; the broker keeps that offline state retained.
- ``silent``: the link is cut *silently* (a proxy stops forwarding both ways and closes
  nothing; the agent keeps running). Only the missed keepalive tells Mosquitto (its log says
  so): the cloud shows the device offline within 1.5x keepalive of the cut (+ a margin, see
  :data:`~tests.faults.willkit.SILENT_MARGIN_S`). Healed, the agent reconnects in a new
  session and the cloud shows it online. Then the old session's will arrives again, late
  (the exact bytes Mosquitto fired, retained, e.g. restored by a broker or relayed by a
  bridge; one Mosquitto itself always fires a will before the new session starts — a will
  fired late by a real broker is ``test_will_late.py``): the cloud ignores it
  (``stale_session``), the agent puts its online state back, and the device stays online.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from protocols.topics import DeviceChannel, device_topic
from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import bus_stats
from tests.faults.procs import AgentProcess, Mosquitto, eventually, tail
from tests.faults.proxy import TcpProxy
from tests.faults.statewatch import StateWatch, publish_raw, retained_state, watching
from tests.faults.willkit import (
    KEEPALIVE_S,
    SILENT_MARGIN_S,
    WILL_BOUND_S,
    agent_config,
    broker_log,
    device,
    noting_broker,
    wait_presence,
)

#: how long to wait for what must happen within the bound (a mutation fails fast)
PATIENCE_S = WILL_BOUND_S + SILENT_MARGIN_S + 5


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    async with noting_broker(tmp_path) as b:
        yield b


async def test_killed_agent_is_shown_offline_by_its_will(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    _, client = cloud_env
    dev = f"kiosk-{uid}"
    config = agent_config(
        tmp_path / "agent" / "agent.toml",
        device_id=dev,
        broker_url=broker.url,
        printer_port=printer.port,
    )
    async with watching(broker.port, [dev]) as witness:
        with AgentProcess(config) as agent:
            agent.start()
            shown, _ = await wait_presence(client, dev, online=True)
            session = shown["bd_seq"]
            assert re.search(rf"as kf-{dev} \(p\d, c\d, k{KEEPALIVE_S}\)", broker_log(broker))

            killed = time.monotonic()
            agent.kill()
            _, will = await witness.wait_for(dev, online=False, bd_seq=session, timeout=PATIENCE_S)
            _, seen_at = await wait_presence(
                client, dev, online=False, bd_seq=session, timeout=PATIENCE_S
            )

    print(
        f"killed: will at +{will.at - killed:.1f} s, offline at the cloud +{seen_at - killed:.1f} s"
    )
    assert seen_at - killed <= WILL_BOUND_S, f"offline after {seen_at - killed:.1f} s"
    assert will.at - killed <= WILL_BOUND_S
    retained = await retained_state(broker.port, dev)
    assert (retained.online, retained.bd_seq, retained.retained) == (False, session, True)


async def test_silent_cut_will_after_keepalive_then_late_will_ignored(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    _, client = cloud_env
    dev = f"kiosk-{uid}"
    async with TcpProxy(broker.port) as proxy, watching(broker.port, [dev]) as witness:
        config = agent_config(
            tmp_path / "agent" / "agent.toml",
            device_id=dev,
            broker_url=f"mqtt://127.0.0.1:{proxy.port}",
            printer_port=printer.port,
        )
        with AgentProcess(config) as agent:
            agent.start()
            shown, _ = await wait_presence(client, dev, online=True)
            old = shown["bd_seq"]

            cut = time.monotonic()
            proxy.blackhole()
            _, will = await witness.wait_for(dev, online=False, bd_seq=old, timeout=PATIENCE_S)
            _, seen_at = await wait_presence(
                client, dev, online=False, bd_seq=old, timeout=PATIENCE_S
            )
            took = seen_at - cut
            print(f"silent cut: will at +{will.at - cut:.1f} s, offline at the cloud +{took:.1f} s")
            assert took <= WILL_BOUND_S + SILENT_MARGIN_S, f"offline after {took:.1f} s"
            assert f"Client kf-{dev} has exceeded timeout" in broker_log(broker)
            assert agent.running() and proxy.blackholed  # nothing closed: only the keepalive

            proxy.heal()
            back, t_back = await wait_presence(client, dev, online=True, timeout=30)
            print(f"back online +{t_back - cut:.1f} s")
            new = back["bd_seq"]
            assert new > old, back
            await late_will_is_ignored(client, broker, witness, dev, will.payload, old, new)
            assert agent.running(), tail(agent.log)


async def late_will_is_ignored(
    client: httpx.AsyncClient,
    broker: Mosquitto,
    witness: StateWatch,
    dev: str,
    will: bytes,
    old: int,
    new: int,
) -> None:
    """The will of session ``old`` arrives again while session ``new`` is online."""
    stale = (await bus_stats(client))["ignored"].get("stale_session", 0)
    mark = len(witness.seen)
    await publish_raw(broker.port, device_topic(dev, DeviceChannel.STATE), will, retain=True)
    i, _ = await witness.wait_for(dev, online=False, bd_seq=old, after=mark, timeout=10)
    # the agent sees another session's will on its state topic and says online again
    await witness.wait_for(dev, online=True, bd_seq=new, after=i + 1, timeout=10)

    async def cloud_ignored_it() -> bool | None:
        ignored = (await bus_stats(client))["ignored"].get("stale_session", 0)
        return True if ignored > stale else None

    await eventually(cloud_ignored_it, 10, "the cloud to ignore the late will")
    shown = await device(client, dev)
    assert (shown["online"], shown["bd_seq"]) == (True, new), shown
    retained = await retained_state(broker.port, dev)
    assert (retained.online, retained.bd_seq) == (True, new)
