"""The cloud cut off from its broker (a proxy between them), silently and by reset, while one
device dies and another keeps working.

The cloud (in-process, ``KFLEET_MQTT_KEEPALIVE_S`` = 5) reaches Mosquitto only through the
proxy; two agents connect directly: ``doomed`` (a real process) and ``stays`` (in-process,
with the receipt printer simulator). During the cut a receipt job is submitted for
``stays`` and ``doomed`` is SIGKILLed, so Mosquitto fires its will while the cloud cannot
hear it (the cloud still shows it online: it cannot know).

- ``silent`` (persistent session): nothing is forwarded and nothing closed; the cloud must
  notice by its own keepalive — within 2x keepalive + 3 s (paho pings after a keepalive
  without traffic, checked every second, and gives up a keepalive later) — and reconnect
  once healed; the broker kept the will for its session.
- ``reset`` (clean session): every connection is reset and new ones refused for a while;
  after healing the cloud learns of the death from the retained will alone.

Afterwards: ``doomed`` is offline in its last session, ``stays`` is online in the session it
never left, and the job submitted during the cut succeeded with exactly one receipt.
"""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from simulators.escpos_printer import EscPosPrinterSim
from tests.cloudkit import running_cloud
from tests.faults.conftest import cloud_settings
from tests.faults.ledger import TERMINAL, bus_stats, printed, submit, wait_state
from tests.faults.procs import AgentProcess, Mosquitto, eventually, running_agent
from tests.faults.proxy import TcpProxy
from tests.faults.willkit import agent_config, broker_log, device, noting_broker, wait_presence

CLOUD_KEEPALIVE_S = 5
#: paho's keepalive: a PINGREQ once nothing was sent or heard for a keepalive (checked every
#: second by aiomqtt), the link given up a keepalive after an unanswered one; +1 s of load
NOTICE_BOUND_S = 2 * CLOUD_KEEPALIVE_S + 2 + 1


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Mosquitto]:
    async with noting_broker(tmp_path) as b:
        yield b


async def bus_up(client: httpx.AsyncClient) -> bool:
    r = await client.get("/healthz")
    return bool(r.json()["mqtt"])


@pytest.mark.parametrize(("cut", "session"), [("silent", "persistent"), ("reset", "clean")])
async def test_cloud_cut_off_from_the_broker(
    tmp_path: Path,
    uid: str,
    broker: Mosquitto,
    printer: EscPosPrinterSim,
    cut: str,
    session: str,
) -> None:
    doomed, stays, tag = f"kiosk-d-{uid}", f"kiosk-s-{uid}", f"cut-{uid}"
    configs = {
        dev: agent_config(
            tmp_path / dev / "agent.toml",
            device_id=dev,
            broker_url=broker.url,
            printer_port=printer.port,
            keepalive_s=None,
        )
        for dev in (doomed, stays)
    }
    async with TcpProxy(broker.port) as proxy:
        settings = cloud_settings(tmp_path / "cloud", f"mqtt://127.0.0.1:{proxy.port}", uid)
        settings = settings.model_copy(
            update={"mqtt_keepalive_s": CLOUD_KEEPALIVE_S, "mqtt_session": session}
        )
        settings.data_dir.mkdir()
        async with running_cloud(settings) as (_, client):
            client_line = rf"as kfleet-cloud-{uid} \(p\d, c\d, k{CLOUD_KEEPALIVE_S}\)"
            assert re.search(client_line, broker_log(broker)), broker_log(broker)
            with AgentProcess(configs[doomed]) as dying:
                dying.start()
                async with running_agent(configs[stays]):
                    last, _ = await wait_presence(client, doomed, online=True)
                    alive, _ = await wait_presence(client, stays, online=True)
                    connects = (await bus_stats(client))["connects"]

                    began = time.monotonic()
                    if cut == "silent":
                        proxy.blackhole()
                    else:
                        proxy.partition()
                    job = await submit(client, stays, tag)
                    if cut == "silent":  # the POST did not wait for a PUBACK that cannot come
                        stats = await bus_stats(client)
                        assert stats["awaiting_puback"] >= 1, stats
                        assert stats["unconfirmed"] == 0, stats
                    dying.kill()
                    await cloud_notices(client, began)
                    shown = await device(client, doomed)
                    assert shown["online"], "the cloud cannot have heard of the death yet"

                    proxy.heal()
                    await after_heal(client, connects, doomed, last["bd_seq"], stays, alive)
                    done = await wait_state(client, job["id"], TERMINAL, timeout=30)
                    assert done["state"] == "succeeded", done
    assert printed(printer.out_dir)[tag] == 1


async def cloud_notices(client: httpx.AsyncClient, began: float) -> None:
    """The cloud's bus says it lost the broker within :data:`NOTICE_BOUND_S` of the cut."""

    async def down() -> float | None:
        return None if await bus_up(client) else time.monotonic()

    noticed = await eventually(down, NOTICE_BOUND_S, "the cloud to notice the cut")
    print(f"cloud noticed the cut after {noticed - began:.1f} s")


async def after_heal(
    client: httpx.AsyncClient,
    connects: int,
    doomed: str,
    doomed_session: int,
    stays: str,
    alive: dict[str, object],
) -> None:
    """Reconnected; the dead device offline in its last session, the other one as it was."""

    async def reconnected() -> bool | None:
        stats = await bus_stats(client)
        return True if stats["connected"] and stats["connects"] > connects else None

    await eventually(reconnected, 30, "the cloud to reconnect")
    await wait_presence(client, doomed, online=False, bd_seq=doomed_session, timeout=15)
    shown = await device(client, stays)
    assert (shown["online"], shown["bd_seq"]) == (True, alive["bd_seq"]), shown
