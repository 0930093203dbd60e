"""A late will fired by a real broker: the device reconnected to another node of a (bridged)
broker pair while its old connection still lingered on the first one.

The cloud and a real agent process (keepalive 5 s) start on node A (the agent through a
proxy). Then the agent's network changes: its side of the connection is reset (it notices at
once) while A's side stays open and silent, and the proxy sends new connections to node B,
bridged to A. The agent reconnects to B in a new session and the cloud (on A) shows it
online in that session. Only then does A give up on the old connection's keepalive and fire
its will, so the cloud gets the offline state of the old session *after* the new session's
birth. It must ignore it (``stale_session``: the device stays online), and the agent, which
gets the will over the bridge on its own state topic, says online again, so the state both
nodes retain is the new session's.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from simulators.escpos_printer import EscPosPrinterSim
from tests.faults.bridge import bridged_to
from tests.faults.conftest import CloudEnv
from tests.faults.ledger import bus_stats
from tests.faults.procs import AgentProcess, Mosquitto, eventually, tail
from tests.faults.proxy import TcpProxy
from tests.faults.statewatch import retained_state, watching
from tests.faults.willkit import (
    SILENT_MARGIN_S,
    WILL_BOUND_S,
    agent_config,
    broker_log,
    device,
    noting_broker,
    wait_presence,
)


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    async with noting_broker(tmp_path) as b:
        yield b


async def test_late_will_from_the_old_node_is_ignored(
    tmp_path: Path, uid: str, broker: Mosquitto, printer: EscPosPrinterSim, cloud_env: CloudEnv
) -> None:
    _, client = cloud_env
    dev = f"kiosk-{uid}"
    async with (
        bridged_to(tmp_path / "node-b", broker, uid) as node_b,
        TcpProxy(broker.port) as proxy,
        watching(broker.port, [dev]) as on_a,
    ):
        config = agent_config(
            tmp_path / "agent" / "agent.toml",
            device_id=dev,
            broker_url=f"mqtt://127.0.0.1:{proxy.port}",
            printer_port=printer.port,
        )
        with AgentProcess(config) as agent:
            agent.start()
            old = (await wait_presence(client, dev, online=True))[0]["bd_seq"]
            stale = (await bus_stats(client))["ignored"].get("stale_session", 0)

            proxy.retarget(node_b.port)
            moved = time.monotonic()
            proxy.strand()
            new = (await wait_presence(client, dev, online=True, bd_seq=old + 1))[0]["bd_seq"]
            born, _ = await on_a.wait_for(dev, online=True, bd_seq=new)

            # node A fires the old session's will only now: late
            patience = WILL_BOUND_S + SILENT_MARGIN_S + 5
            fired, will = await on_a.wait_for(dev, online=False, bd_seq=old, timeout=patience)
            assert fired > born, on_a.seen
            assert f"Client kf-{dev} has exceeded timeout" in broker_log(broker)
            print(f"late will on node A {will.at - moved:.1f} s after the move")
            # the agent got it over the bridge and says online again
            await on_a.wait_for(dev, online=True, bd_seq=new, after=fired + 1, timeout=10)

            async def ignored() -> bool | None:
                counted = (await bus_stats(client))["ignored"].get("stale_session", 0)
                return True if counted > stale else None

            await eventually(ignored, 10, "the cloud to ignore the late will")
            shown = await device(client, dev)
            assert (shown["online"], shown["bd_seq"]) == (True, new), shown
            for node in (broker, node_b):
                kept = await retained_state(node.port, dev)
                assert (kept.online, kept.bd_seq) == (True, new), (node.port, kept)
            assert agent.running(), tail(agent.log)
