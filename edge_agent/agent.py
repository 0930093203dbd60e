"""The agent: wires config, drivers, journal, job runner and MQTT link together.

``Agent.run()`` owns every background task in one TaskGroup: the link's reconnect loop, one
job worker per printer, the health monitor, the telemetry batcher and one supervised task per
input peripheral (call button presses, ID cards read) that turns device input into ``evt``
messages. A peripheral that notices a health change itself (a serial port that closed) wakes
the health watcher, so the ``peripheral_health`` event goes out at once, not at the next
periodic check. Peripherals are built from the config by ``edge_agent.peripherals`` (one narrow
interface over every driver); one that is unplugged, or whose driver fails, is reported
``offline`` with the reason and never stops the agent. ``stop()`` is orderly:
no new job starts, the one printing finishes (bounded), queued acks are flushed, and the
retained ``state`` says offline before the connection closes. Inbound messages are
untrusted: anything that fails validation is counted in ``rejected`` by reason, logged,
and reported as an ``evt`` — and never stops the agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING

from edge_agent import __version__
from edge_agent.config import AgentConfig
from edge_agent.drivers import ReceiptPrinter
from edge_agent.jobs.journal import Journal
from edge_agent.jobs.runner import JobRunner
from edge_agent.link.session import MqttLink
from edge_agent.peripherals.calls import CallHandler
from edge_agent.peripherals.registry import (
    A4Peripheral,
    ActivePeripheral,
    AvCameraPeripheral,
    DocCameraPeripheral,
    Peripheral,
    RatingPadPeripheral,
    ReceiptPeripheral,
    build_or_broken,
)
from edge_agent.peripherals.telemetry import HealthWatched, counters_of, peripheral_metrics
from edge_agent.screen import ScreenServer
from protocols import PROTOCOL_VERSION
from protocols.envelope import decode_device_message, wall_ms
from protocols.errors import ProtocolError
from protocols.messages import (
    AckBody,
    BirthBody,
    EventBody,
    EventKind,
    Health,
    Metric,
    PeripheralCall,
    PeripheralInfo,
    Rebirth,
    TelemetryBody,
    Versions,
)
from protocols.topics import DeviceChannel

if TYPE_CHECKING:
    from edge_agent.drivers.rating_pad import RatingResult

log = logging.getLogger(__name__)

#: how long an orderly stop lets a printing job finish
STOP_JOB_TIMEOUT_S = 10.0
#: at most this many message_rejected events per minute (a flood must not be amplified)
REJECT_EVENTS_PER_MIN = 30
#: a health check that takes longer than this counts as ``unknown``
HEALTH_TIMEOUT_S = 15.0
#: an orderly stop waits this long for the peripherals to close
CLOSE_TIMEOUT_S = 5.0
#: pause before an input peripheral's task is restarted after an unexpected error (doubling)
RESTART_MIN_S, RESTART_MAX_S = 0.5, 30.0


class Agent:
    """One device's agent. ``await agent.run()`` until cancelled or ``await agent.stop()``."""

    def __init__(
        self, config: AgentConfig, *, peripherals: Mapping[str, Peripheral] | None = None
    ) -> None:
        self.config = config
        self.peripherals: dict[str, Peripheral] = (
            dict(peripherals)
            if peripherals is not None
            else {p.id: build_or_broken(p) for p in config.peripherals}
        )
        self.printers: dict[str, ReceiptPrinter] = {
            pid: p.printer
            for pid, p in self.peripherals.items()
            if isinstance(p, ReceiptPeripheral)
        }
        """The receipt printers among the peripherals (what the job runner prints with)."""
        self.a4_printers = pair_copiers(self.peripherals)
        """The A4 printers; each offers ``copy`` if the device has a document camera."""
        self.rejected: Counter[str] = Counter()
        """Inbound messages refused, by reason (``not_json``, ``invalid``, ``too_large``...)."""
        self.counters: Counter[str] = Counter()
        """Jobs by outcome (``jobs_succeeded``, ``jobs_failed``...) and other tallies."""
        self.health: dict[str, tuple[Health, str]] = {
            pid: (Health.UNKNOWN, "not probed yet") for pid in self.peripherals
        }
        self.link = MqttLink(
            config, birth=self._birth, on_command=self._on_command, on_reject=self._reject
        )
        self.runner: JobRunner | None = None
        self.calls = CallHandler(self.peripherals, self._send_ack, self._emit)
        self.screen = ScreenServer(self)
        """The citizen-facing page for the device's own browser (``[screen]``)."""
        self._started = time.monotonic()
        self._stop_requested = asyncio.Event()
        self._finished = asyncio.Event()
        self._reject_window = (0.0, 0)  # (window start, events sent in it)
        self._health_dirty: set[str] = set()  # peripherals whose health may have changed
        self._health_wake = asyncio.Event()
        for pid, p in self.peripherals.items():
            if isinstance(p, HealthWatched):
                p.on_health_change(functools.partial(self._health_hint, pid))

    # --- public API -------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled or :meth:`stop`."""
        self._started = time.monotonic()
        self._finished.clear()
        journal = Journal(self.config.data_dir / "jobs.sqlite3")
        runner = JobRunner(
            journal,
            self.printers,
            self._send_ack,
            queue_size=self.config.job_queue_size,
            on_job_done=self._check_health,
            counters=self.counters,
            cameras={
                pid: p
                for pid, p in self.peripherals.items()
                if isinstance(p, AvCameraPeripheral | DocCameraPeripheral)
            },
            a4_printers=self.a4_printers,
            terminal=self.config.device_id,
            send_tracked_ack=self._send_ack_tracked,
        )
        self.runner = runner
        active = [p for p in self.peripherals.values() if isinstance(p, ActivePeripheral)]
        try:
            await asyncio.gather(*(self._start(p) for p in active))
            await self._probe_all(announce=False)
            await runner.recover()  # acks wait in the outbox until the link is up
            async with asyncio.TaskGroup() as tg:
                link = tg.create_task(self.link.run(), name="mqtt-link")
                workers = tg.create_task(runner.run_workers(), name="job-workers")
                helpers = [
                    tg.create_task(self._health_loop(), name="health"),
                    tg.create_task(self._health_watch(), name="health-watch"),
                    tg.create_task(self._tele_loop(), name="tele"),
                    tg.create_task(self.screen.run(), name="screen"),  # never fails the agent
                    *(tg.create_task(self._supervise(p), name=f"input-{p.id}") for p in active),
                ]
                await self._stop_requested.wait()
                for task in helpers:
                    task.cancel()
                await self.calls.stop()
                await runner.quiesce(STOP_JOB_TIMEOUT_S)
                workers.cancel()
                self.link.stop()
                await link
        finally:
            await self._close_peripherals()
            journal.close()
            self._finished.set()

    async def stop(self) -> None:
        """Orderly stop; returns when :meth:`run` has finished."""
        self._stop_requested.set()
        if self.runner is not None:
            await self._finished.wait()

    async def wait_connected(self) -> None:
        """Until birth and online state have been published on the current connection."""
        await self.link.connected.wait()

    @property
    def connected(self) -> asyncio.Event:
        return self.link.connected

    async def request_rating(
        self, peripheral: str, case_no: str, window: str, timeout_s: float, *, staff: str = ""
    ) -> RatingResult:
        """Ask the citizen to rate ``case_no`` on a rating pad; publishes a ``rating`` event.

        Raises ``LookupError`` if ``peripheral`` is not a rating pad, and the driver's
        ``SerialDeviceError`` if the pad cannot be asked."""
        pad = self.peripherals.get(peripheral)
        if not isinstance(pad, RatingPadPeripheral):
            raise LookupError(f"this device has no rating pad {peripheral!r}")
        return await pad.request_rating(self._emit, case_no, window, timeout_s, staff=staff)

    # --- inbound ----------------------------------------------------------------------------

    async def _on_command(self, payload: bytes) -> None:
        topic = self.link.topics[DeviceChannel.CMD]
        try:
            _, env = decode_device_message(topic, payload)
        except ProtocolError as err:
            await self._reject(err.reason, str(err), topic)
            if self.runner is not None:
                await self.runner.reject_undecodable(payload, err.reason, str(err))
            return
        if isinstance(env.body, Rebirth):
            await self.link.rebirth()
        elif isinstance(env.body, PeripheralCall):
            await self.calls.handle(env, env.body)
        elif self.runner is not None:
            await self.runner.handle(env)

    async def _reject(self, reason: str, message: str, topic: str) -> None:
        self.rejected[reason] += 1
        log.warning("rejected a message on %s (%s): %s", topic, reason, message[:300])
        now = time.monotonic()
        start, sent = self._reject_window
        if now - start >= 60:
            start, sent = now, 0
        if sent >= REJECT_EVENTS_PER_MIN:
            self.counters["reject_events_suppressed"] += 1
            return
        self._reject_window = (start, sent + 1)
        event = EventBody(
            kind=EventKind.MESSAGE_REJECTED,
            reason=reason[:64],
            data={"topic": topic, "message": message[:500]},
        )
        await self.link.publish(DeviceChannel.EVT, event, droppable=True)

    # --- outbound ---------------------------------------------------------------------------

    async def _send_ack(self, ack: AckBody, corr: str | None) -> None:
        await self.link.publish(DeviceChannel.ACK, ack, corr=corr)

    async def _send_ack_tracked(
        self, ack: AckBody, corr: str | None
    ) -> asyncio.Future[None] | None:
        return await self.link.publish_tracked(DeviceChannel.ACK, ack, corr=corr)

    async def _emit(self, event: EventBody) -> None:
        """An event from a peripheral (button, rating, ID card read)."""
        self.counters[f"events_{event.kind.value}"] += 1
        await self.link.publish(DeviceChannel.EVT, event, droppable=True)

    def _birth(self, bd_seq: int) -> BirthBody:
        return BirthBody(
            device_id=self.config.device_id,
            role=self.config.role,
            site=self.config.site,
            name=self.config.name,
            bd_seq=bd_seq,
            versions=Versions(agent=__version__, protocol=PROTOCOL_VERSION),
            peripherals=[
                PeripheralInfo(
                    id=p.id,
                    kind=p.kind,
                    model=p.model[:128],
                    capabilities=list(p.capabilities),
                    health=self.health[pid][0],
                    reason=self.health[pid][1],
                )
                for pid, p in self.peripherals.items()
            ],
        )

    # --- health and telemetry ---------------------------------------------------------------

    async def _probe_all(self, *, announce: bool) -> None:
        pids = list(self.peripherals)
        healths = await asyncio.gather(*(self._health_of(self.peripherals[p]) for p in pids))
        for pid, health in zip(pids, healths, strict=True):
            await self._set_health(pid, health, announce=announce)

    async def _check_health(self, pid: str) -> None:
        """After a job: the printer's state may have changed (paper out, cover open)."""
        await self._set_health(pid, await self._health_of(self.peripherals[pid]), announce=True)

    async def _health_of(self, p: Peripheral) -> tuple[Health, str]:
        """``p.health()``, bounded; a driver that raises anyway is ``offline``, not a crash."""
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT_S):
                health, reason = await p.health()
        except TimeoutError:
            return Health.UNKNOWN, f"health check took longer than {HEALTH_TIMEOUT_S:g} s"
        except Exception as err:
            log.exception("peripheral %s: health check failed", p.id)
            return Health.OFFLINE, f"health check failed: {err!r}"[:1024]
        return health, reason[:1024]

    # --- peripherals' lifecycle -------------------------------------------------------------

    async def _start(self, p: ActivePeripheral) -> None:
        try:
            await p.start()
        except Exception:  # its health says why; the agent goes on without it
            log.exception("peripheral %s: could not be started", p.id)

    async def _supervise(self, p: ActivePeripheral) -> None:
        """Run ``p``'s input task; restart it (with backoff) if it fails unexpectedly."""
        failures = 0
        while True:
            try:
                await p.run(self._emit)
                return
            except Exception:
                failures += 1
                self.counters["peripheral_task_errors"] += 1
                log.exception("peripheral %s: input task failed; restarting it", p.id)
            delay = min(RESTART_MAX_S, RESTART_MIN_S * 2 ** min(failures, 16))
            await asyncio.sleep(delay)  # a backoff period, not synchronisation

    async def _close_peripherals(self) -> None:
        async def close(p: Peripheral) -> None:
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_S):
                    await p.close()
            except Exception:
                log.exception("peripheral %s: close failed", p.id)

        await asyncio.gather(*(close(p) for p in self.peripherals.values()))

    async def _set_health(self, pid: str, health: tuple[Health, str], *, announce: bool) -> None:
        if self.health.get(pid) == health:
            return
        log.info("peripheral %s: %s %s", pid, health[0].value, health[1])
        self.health[pid] = health
        if announce:
            event = EventBody(
                kind=EventKind.PERIPHERAL_HEALTH, peripheral=pid, health=health[0], reason=health[1]
            )
            await self.link.publish(DeviceChannel.EVT, event, droppable=True)

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.health_interval_s)  # a period, not synchronisation
            await self._probe_all(announce=True)

    def _health_hint(self, pid: str) -> None:
        self._health_dirty.add(pid)
        self._health_wake.set()

    async def _health_watch(self) -> None:
        """Re-check (and announce) the health of peripherals that said it may have changed."""
        while True:
            await self._health_wake.wait()
            self._health_wake.clear()
            pids, self._health_dirty = self._health_dirty, set()
            for pid in sorted(pids):
                await self._check_health(pid)

    async def _tele_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.tele_interval_s)  # a period, not synchronisation
            await self.link.publish(DeviceChannel.TELE, self.telemetry(), droppable=True)

    def telemetry(self) -> TelemetryBody:
        """The periodic metrics batch (counters are totals since start), then every
        peripheral's counters as ``peripheral.<counter>`` tagged with its id and kind."""
        now = wall_ms()
        values = {
            "uptime_s": time.monotonic() - self._started,
            "jobs_succeeded": self.counters["jobs_succeeded"],
            "jobs_failed": self.counters["jobs_failed"],
            "jobs_uncertain": self.counters["jobs_uncertain"],
            "jobs_rejected": self.counters["jobs_rejected"],
            "jobs_unconfirmed": self.counters["jobs_unconfirmed"],
            "messages_rejected": sum(self.rejected.values()),
            "screen_bind_failed": self.counters["screen_bind_failed"],
            "screen_errors": self.counters["screen_errors"],
            **self.link.outbox_metrics(),
            "mqtt_sessions": self.link.sessions,
        }
        metrics = [Metric(name=k, value=float(v), ts=now) for k, v in values.items()]
        per_peripheral = ((pid, p.kind, counters_of(p)) for pid, p in self.peripherals.items())
        metrics += peripheral_metrics(per_peripheral, now, room=1000 - len(metrics))
        return TelemetryBody(metrics=metrics)


def pair_copiers(peripherals: Mapping[str, Peripheral]) -> dict[str, A4Peripheral]:
    """The A4 printers, each paired with the device's first document camera (for ``copy``)."""
    a4 = {pid: p for pid, p in peripherals.items() if isinstance(p, A4Peripheral)}
    scanner = next((p for p in peripherals.values() if isinstance(p, DocCameraPeripheral)), None)
    if scanner is not None:
        for printer in a4.values():
            printer.pair_scanner(scanner)
    return a4


async def run_until_stopped(agent: Agent, stop: asyncio.Event) -> None:
    """Run ``agent`` until ``stop`` is set, then stop it in order (used by the CLI)."""
    async with asyncio.TaskGroup() as tg:
        task = tg.create_task(agent.run())
        waiter = tg.create_task(stop.wait())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            await agent.stop()
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
