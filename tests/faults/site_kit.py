"""Two real kiosks on one site, for the site-failover fault cases.

Kiosk A reaches the broker through an :class:`~tests.faults.mqtt_tap.MqttTap` (the faults
land there), kiosk B directly; each has its own ESC/POS printer simulator. The cloud runs
in-process with a short failover grace and margin, so a movable job moves after seconds.
Receipts are counted per job tag over BOTH printers: a job printed once on each kiosk is the
double print these cases exist to catch.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from cloud.wiring import Parts
from edge_agent.agent import Agent
from protocols.jobs import AckState
from simulators.escpos_printer import EscPosPrinterSim
from tests.cloudkit import running_cloud
from tests.faults.conftest import cloud_settings
from tests.faults.ledger import bus_stats, printed, receipt
from tests.faults.mqtt_tap import MqttTap, Packet, Rule, Verdict, puback_of
from tests.faults.procs import Mosquitto, agent_toml, eventually, running_agent

SITE = "qh/hx/golmud/hhl"
#: a movable job's delivery deadline is send + GRACE_S; the cloud moves it after + MARGIN_S
GRACE_S, MARGIN_S = 4.0, 2.0
#: after the failover point, how long the dispatcher gets to move a job (ticks are 0.2 s)
SETTLE_S = 1.5


@dataclass
class Kiosk:
    device_id: str
    printer: EscPosPrinterSim
    config: Path
    agent: Agent | None = None

    def job_state(self, job_id: str) -> AckState | None:
        """The state of ``job_id`` in this (in-process) kiosk's job journal."""
        assert self.agent is not None and self.agent.runner is not None
        rec = self.agent.runner.journal.get(job_id)
        return None if rec is None else rec.state


@dataclass
class Site:
    cloud: Parts
    client: httpx.AsyncClient
    tap: MqttTap  # between kiosk A and the broker
    a: Kiosk
    b: Kiosk
    tags: list[str] = field(default_factory=list)

    def receipts(self) -> tuple[Counter[str], Counter[str]]:
        """Receipts per job tag on A's printer and on B's."""
        return printed(self.a.printer.out_dir), printed(self.b.printer.out_dir)

    def total(self) -> Counter[str]:
        a, b = self.receipts()
        return a + b


@contextlib.asynccontextmanager
async def two_kiosks(
    tmp_path: Path,
    uid: str,
    broker: Mosquitto,
    *,
    a_in_process: bool = True,
    keepalive_s: int = 30,
    grace_s: float = GRACE_S,
) -> AsyncIterator[Site]:
    """The cloud, the tap, two printers, and the agents (A's only if ``a_in_process``)."""
    settings = cloud_settings(tmp_path / "cloud", broker.url, uid).model_copy(
        update={"failover_grace_s": grace_s, "failover_margin_s": MARGIN_S}
    )
    settings.data_dir.mkdir()
    async with contextlib.AsyncExitStack() as stack:
        cloud, client = await stack.enter_async_context(running_cloud(settings))
        tap = await stack.enter_async_context(MqttTap(broker.port))
        kiosks = []
        for name, url in (("a", tap.url), ("b", broker.url)):
            out = tmp_path / f"receipts-{name}"
            printer = await stack.enter_async_context(EscPosPrinterSim(out_dir=out))
            dev = f"kiosk-{name}-{uid}"  # A sorts first: of two idle kiosks the cloud picks A
            config = agent_toml(
                tmp_path / dev / "agent.toml",
                device_id=dev,
                broker_url=url,
                printer_port=printer.port,
                site=SITE,
                status_timeout_s=30,  # a held printer keeps the job waiting, not failing
            )
            text = config.read_text(encoding="utf-8")
            config.write_text(text.replace("[mqtt]\n", f"[mqtt]\nkeepalive_s = {keepalive_s}\n"))
            kiosks.append(Kiosk(dev, printer, config))
        site = Site(cloud, client, tap, kiosks[0], kiosks[1])
        if a_in_process:
            site.a.agent = await stack.enter_async_context(running_agent(site.a.config))
        site.b.agent = await stack.enter_async_context(running_agent(site.b.config))
        await failover_armed(cloud)
        yield site


async def failover_armed(cloud: Parts) -> None:
    """Until the cloud's broker connection has been up for the margin: only then does it
    move jobs at all (a case whose job must NOT move proves nothing before)."""

    async def probe() -> bool | None:
        since = cloud.bus.connected_since
        up_for = None if since is None else asyncio.get_running_loop().time() - since
        return True if up_for is not None and up_for >= MARGIN_S else None

    await eventually(probe, 30, "the cloud's failover to be armed")


async def submit_site(site: Site, tag: str) -> dict[str, Any]:
    """A receipt tagged ``tag`` for the site (any kiosk with a receipt printer)."""
    body = {
        "kind": "print_receipt",
        "target": {"site": SITE, "capability": "receipt"},
        "params": receipt(tag),
    }
    r = await site.client.post("/api/v1/jobs", json=body)
    assert r.status_code == 201, r.text
    job: dict[str, Any] = r.json()
    site.tags.append(tag)
    return job


async def presence(client: httpx.AsyncClient, device_id: str, online: bool, timeout: float) -> None:  # noqa: ASYNC109
    """Until the cloud shows ``device_id`` online (or offline)."""

    async def probe() -> bool | None:
        r = await client.get(f"/api/v1/devices/{device_id}")
        return True if r.status_code == 200 and r.json()["online"] is online else None

    word = "online" if online else "offline"
    await eventually(probe, timeout, f"{device_id} to be {word} at the cloud")


async def journal_state(kiosk: Kiosk, job_id: str, state: AckState, timeout: float = 20) -> None:  # noqa: ASYNC109
    """Until the kiosk's own journal has ``job_id`` in ``state``."""

    async def probe() -> bool | None:
        return True if kiosk.job_state(job_id) is state else None

    await eventually(probe, timeout, f"job {job_id} to be {state.value} on {kiosk.device_id}")


async def journal_settles(kiosk: Kiosk, job_id: str, timeout: float = 20) -> AckState:  # noqa: ASYNC109
    """Until the kiosk's own journal has an outcome for ``job_id``; returns it."""
    done = {AckState.SUCCEEDED, AckState.FAILED, AckState.UNCERTAIN, AckState.CANCELED}

    async def probe() -> AckState | None:
        state = kiosk.job_state(job_id)
        return state if state in done else None

    return await eventually(probe, timeout, f"job {job_id} to settle on {kiosk.device_id}")


async def past_deadline(run: Packet) -> None:
    """Wait until the delivery deadline (``exp``) of the ``job.run`` the tap saw has passed."""
    exp_s = int(run.envelope()["exp"]) / 1000
    await asyncio.sleep(max(0.0, exp_s + 0.2 - time.time()))


async def past_failover_point(run: Packet) -> None:
    """Wait until the cloud would have moved the job of ``run`` (its delivery deadline
    ``exp`` + the margin + a few dispatcher ticks).

    This waits for something NOT to happen, so there is no event to await: the time is the
    protocol's own deadline, read from the ``job.run`` the tap saw.
    """
    exp_s = int(run.envelope()["exp"]) / 1000
    await asyncio.sleep(max(0.0, exp_s + MARGIN_S + SETTLE_S - time.time()))


async def events(site: Site, job_id: str) -> list[tuple[str, str, str | None]]:
    """(to_state, reason, device) of every recorded transition of the job, oldest first."""
    r = await site.client.get(f"/api/v1/jobs/{job_id}/events")
    assert r.status_code == 200, r.text
    return [(e["to_state"], e["reason"], e["device_id"]) for e in r.json()]


async def counted(site: Site, kind: str, reason: str) -> int:
    """The cloud's bus counter ``kind`` (``ignored``/``rejected``) for ``reason``."""
    return int((await bus_stats(site.client))[kind].get(reason, 0))


async def counts_reach(site: Site, kind: str, reason: str, at_least: int) -> int:
    """Until the counter reaches ``at_least`` (the messages are on their way to the cloud);
    returns its value."""

    async def probe() -> int | None:
        n = await counted(site, kind, reason)
        return n if n >= at_least else None

    return await eventually(probe, 20, f"{kind} {reason} to reach {at_least}")


def cut_at(match: Callable[[Packet], bool]) -> Rule:
    """Cut the link at the first packet ``match`` accepts (it is not forwarded)."""

    def rule(p: Packet) -> Verdict:
        return Verdict.CUT if match(p) else Verdict.PASS

    return rule


def cut_at_puback(match: Callable[[Packet], bool]) -> Rule:
    """Forward the client's PUBLISH ``match`` accepts to the broker, then cut the link at the
    broker's PUBACK of it: the broker has the message, the client never learns it."""
    taken: list[Callable[[Packet], bool]] = []

    def rule(p: Packet) -> Verdict:
        if not taken and match(p):
            taken.append(puback_of(p))
        return Verdict.CUT if taken and taken[0](p) else Verdict.PASS

    return rule


def hold_at(match: Callable[[Packet], bool]) -> Rule:
    """Stall the direction of the first packet ``match`` accepts, at that packet, until
    ``tap.release()`` (the link stays up; the other direction flows)."""
    held: list[Packet] = []

    def rule(p: Packet) -> Verdict:
        if not held and match(p):
            held.append(p)
            return Verdict.HOLD
        return Verdict.PASS

    return rule
