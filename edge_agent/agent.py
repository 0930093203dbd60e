"""The agent: wires config, drivers, journal, job runner and MQTT link together.

``Agent.run()`` owns every background task in one TaskGroup: the link's reconnect loop, one
job worker per printer, the health monitor, the telemetry batcher, the upgrade desk
(``edge_agent.upgrade``) and one supervised task per input peripheral (call button presses,
ID cards read) that turns device input into ``evt`` messages. A peripheral that notices a
health change itself (a serial port that closed) wakes the health watcher, so the
``peripheral_health`` event goes out at once. Peripherals are built from the config by the
driver registry (``edge_agent.peripherals.registry``); one that is unplugged, or whose driver
fails, is reported ``offline`` with the reason and never stops the agent. Commands arrive
decoded once, ``async for cmd in link.commands()``. ``stop()`` is orderly: no new job starts,
the one printing finishes (bounded), queued acks are flushed, and the retained ``state`` says
offline before the connection closes. Inbound messages are untrusted: anything that fails
validation is counted in ``rejected`` by reason, logged, reported as an ``evt``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from edge_agent.config import AgentConfig
from edge_agent.drivers.a4_base import A4PrinterBase
from edge_agent.drivers.interface import ActivePeripheral, Peripheral, counters_of
from edge_agent.hall import HallContent
from edge_agent.instance_lock import data_dir_lock
from edge_agent.jobs import device_auth
from edge_agent.jobs.journal import Journal
from edge_agent.jobs.kinds import DocumentCamera
from edge_agent.jobs.review_desk import ReviewDesk
from edge_agent.jobs.runner import JobRunner
from edge_agent.kiosk import KioskParts
from edge_agent.link.commands import BadCommand, Command
from edge_agent.link.session import MqttLink
from edge_agent.peripherals.calls import CallHandler, Rating
from edge_agent.peripherals.events import rating_event
from edge_agent.peripherals.health import HealthMonitor
from edge_agent.peripherals.registry import build_or_broken
from edge_agent.screen import ScreenServer
from edge_agent.tele.batcher import TeleBatcher
from edge_agent.tele.points import PeripheralSample, sample_points
from edge_agent.tele.system import SystemSampler
from edge_agent.upgrade.handler import Upgrades
from protocols import PROTOCOL_VERSION
from protocols.envelope import wall_ms
from protocols.messages import (
    BirthBody,
    EventBody,
    EventKind,
    Health,
    Metric,
    PeripheralCall,
    PeripheralInfo,
    Rebirth,
    Role,
    TelemetryBody,
    Versions,
)
from protocols.topics import DeviceChannel
from protocols.upgrade import RollbackOrder, UpgradeOrder

if TYPE_CHECKING:
    from edge_agent.drivers.rating_pad import RatingResult

log = logging.getLogger(__name__)

#: how long an orderly stop lets a printing job finish
STOP_JOB_TIMEOUT_S = 10.0
#: at most this many message_rejected events per minute (a flood must not be amplified)
REJECT_EVENTS_PER_MIN = 30
CLOSE_TIMEOUT_S = 5.0  # an orderly stop waits this long for the peripherals to close
RESTART_MIN_S, RESTART_MAX_S = 0.5, 30.0  # an input peripheral's restart pause (doubling)
UNPROBED = (Health.UNKNOWN, "not probed yet")  # a peripheral the monitor has not probed


class Agent:
    """One device's agent. ``await agent.run()`` until cancelled or ``await agent.stop()``."""

    def __init__(
        self,
        config: AgentConfig,
        *,
        peripherals: Mapping[str, Peripheral] | None = None,
        config_path: Path | None = None,
    ) -> None:
        self.config = config
        self.peripherals: dict[str, Peripheral] = (
            dict(peripherals)
            if peripherals is not None
            else {p.id: build_or_broken(p) for p in config.peripherals}
        )
        pair_copiers(self.peripherals)
        self.rejected: Counter[str] = Counter()
        """Inbound messages refused, by reason (``not_json``, ``invalid``, ``too_large``...)."""
        self.counters: Counter[str] = Counter()
        """Jobs by outcome (``jobs_succeeded``, ``jobs_failed``...) and other tallies."""
        self.link = MqttLink(
            config, birth=self._birth, on_reject=self._reject, config_path=config_path
        )
        self.acks = self.link.acks
        self.monitor = HealthMonitor(self.peripherals, self._announce)
        self.runner: JobRunner | None = None
        self.calls = CallHandler(self.peripherals, self.acks, self._emit, streams_for=config)
        self.review_desk = ReviewDesk(lambda: self.screen.serving and self.review_desk.watched)
        """Corner reviews for the screen: asked only while a screen page is polling for them."""
        self.hall = HallContent.of(config, on_reject=self._reject)  # for the hall screens
        self.hall.follow_on(self.link.subscriptions)
        self.kiosk = KioskParts.of(self, self.hall) if config.role == Role.KIOSK else None
        self.screen = ScreenServer(self, self.review_desk, self.hall, self.kiosk)  # [screen]
        self._started = time.monotonic()
        self.system = SystemSampler(config.data_dir)
        self.tele = TeleBatcher(
            self._sample,
            lambda body: self.link.publish(DeviceChannel.TELE, body),
            send_interval_s=config.tele_interval_s,
            sample_interval_s=config.tele.sample_interval_s,
        )
        self._stop_requested = asyncio.Event()
        self._finished = asyncio.Event()
        self.upgrades = Upgrades(config.data_dir, self._announce, self._stop_requested.set)
        self._reject_window = (0.0, 0)  # (window start, events sent in it)

    def _device_auth(self) -> device_auth.DeviceAuth | None:
        def current() -> tuple[str, str] | None:
            mqtt = self.link.config.mqtt  # follows a rotation the link picked up
            return (mqtt.username, mqtt.password) if mqtt.username and mqtt.password else None

        cloud = self.config.cloud
        return None if cloud is None else device_auth.DeviceAuth(cloud.url, current)

    @property
    def health(self) -> dict[str, tuple[Health, str]]:
        """(health, reason) of every peripheral, as last probed."""
        return self.monitor.health

    # --- public API -------------------------------------------------------------------------

    async def run(self) -> None:
        """Run until cancelled or :meth:`stop` (after any other agent process on the same data
        directory has stopped: :mod:`edge_agent.instance_lock`)."""
        async with data_dir_lock(self.config.data_dir):
            await self._run()

    async def _run(self) -> None:
        self._started = time.monotonic()
        self._finished.clear()
        device_auth.use(self._device_auth())  # this task's blob calls carry the credentials
        journal = Journal(self.config.data_dir / "jobs.sqlite3")
        self.runner = runner = JobRunner(
            journal,
            self.peripherals,
            self.acks,
            queue_size=self.config.job_queue_size,
            on_job_done=self._check_health,
            counters=self.counters,
            terminal=self.config.device_id,
            reviewer=self.review_desk if self.config.screen.enabled else None,
        )
        self.review_desk.open()
        self.hall.load()  # the screens show the last content even before the broker answers
        active = [p for p in self.peripherals.values() if isinstance(p, ActivePeripheral)]
        try:
            await asyncio.gather(*(self._start(p) for p in active))
            await self.monitor.probe_all(announce=False)
            await runner.recover()  # acks wait in the outbox until the link is up
            await self.upgrades.on_start()  # a switch back brought this version up again
            async with asyncio.TaskGroup() as tg:
                await self._serve(tg, runner, active)
        finally:
            await self._close_peripherals()
            journal.close()
            self._finished.set()

    async def _serve(
        self, tg: asyncio.TaskGroup, runner: JobRunner, active: list[ActivePeripheral]
    ) -> None:
        """Every task of a running agent, until :meth:`stop`; then an orderly stop."""
        link = tg.create_task(self.link.run(), name="mqtt-link")
        commands = tg.create_task(self._commands(runner), name="commands")
        workers = tg.create_task(runner.run_workers(), name="job-workers")
        helpers = [
            tg.create_task(self.monitor.every(self.config.health_interval_s), name="health"),
            tg.create_task(self.monitor.watch(), name="health-watch"),
            tg.create_task(self.tele.run(), name="tele"),
            tg.create_task(self.screen.run(), name="screen"),  # never fails the agent
            tg.create_task(self.hall.run(), name="hall"),
            tg.create_task(self.upgrades.run(self.link.connected), name="upgrades"),
            *(tg.create_task(self._supervise(p), name=f"input-{p.id}") for p in active),
        ]
        await self._stop_requested.wait()
        self.review_desk.close()  # a scan waiting for the citizen goes on without them
        for task in helpers:
            task.cancel()
        await self.calls.stop()
        await runner.quiesce(STOP_JOB_TIMEOUT_S)
        workers.cancel()
        self.link.stop()
        await link
        commands.cancel()

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
        if not isinstance(pad, Rating):
            raise LookupError(f"this device has no rating pad {peripheral!r}")
        result = await pad.request_rating(case_no, window, timeout_s, staff=staff)
        await self._emit(rating_event(pad.id, result))
        return result

    # --- inbound ----------------------------------------------------------------------------

    async def _commands(self, runner: JobRunner) -> None:
        """Each command from the link, decoded once, to the part of the agent it is for."""
        topic = self.link.topics[DeviceChannel.CMD]
        async for cmd in self.link.commands():
            try:
                await self._dispatch(cmd, runner, topic)
            except Exception:  # a bug in a handler must not stop the commands
                log.exception("error while handling a command")

    async def _dispatch(self, cmd: Command, runner: JobRunner, topic: str) -> None:
        if isinstance(cmd, BadCommand):
            await self._reject(cmd.reason, cmd.message, topic)
            if cmd.job is not None:
                await runner.reject_salvaged(cmd.job, cmd.message)
        elif isinstance(cmd.body, Rebirth):
            await self.link.rebirth()
        elif isinstance(cmd.body, PeripheralCall):
            await self.calls.handle(cmd, cmd.body)
        elif isinstance(cmd.body, UpgradeOrder | RollbackOrder):
            self.upgrades.submit(cmd.body)
        else:
            await runner.handle(cmd)

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
            versions=Versions(agent=self.upgrades.version, protocol=PROTOCOL_VERSION),
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
            tele_interval_s=self.config.tele_interval_s,
        )

    # --- health and telemetry ---------------------------------------------------------------

    async def _check_health(self, pid: str) -> None:  # after a job: paper out, cover open?
        await self.monitor.check(pid)

    async def _announce(self, event: EventBody) -> None:
        await self.link.publish(DeviceChannel.EVT, event, droppable=True)

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

    def telemetry(self) -> TelemetryBody:
        """One sample as a ``tele`` body (its first 1000 points; the loop sends them all)."""
        return TelemetryBody(metrics=self._sample(wall_ms())[:1000])

    def _sample(self, now: int) -> list[Metric]:
        """The agent's counters (totals since start), the system's gauges, the link's round
        trip and clock offset, then every peripheral's health, paper and counters."""
        values = {
            "uptime_s": time.monotonic() - self._started,
            "jobs_succeeded": self.counters["jobs_succeeded"],
            "jobs_failed": self.counters["jobs_failed"],
            "jobs_uncertain": self.counters["jobs_uncertain"],
            "jobs_rejected": self.counters["jobs_rejected"],
            "jobs_unconfirmed": self.counters["jobs_unconfirmed"],
            "text_controls_stripped": self.counters["text_controls_stripped"],
            "messages_rejected": sum(self.rejected.values()),
            "screen_bind_failed": self.counters["screen_bind_failed"],
            "screen_errors": self.counters["screen_errors"],
            **self.link.outbox.metrics(),
            "mqtt_sessions": self.link.sessions,
            "tele_errors": self.tele.errors,
        }
        health = self.health
        peripherals = (
            PeripheralSample(pid, p.kind, *health.get(pid, UNPROBED), counters_of(p))
            for pid, p in self.peripherals.items()
        )
        return sample_points(
            now,
            agent=values,
            system=self.system,
            rtt_ms=self.link.round_trips.take(),
            offset_ms=self.link.cloud_clock.offset_ms,
            peripherals=peripherals,
        )


def pair_copiers(peripherals: Mapping[str, Peripheral]) -> None:
    """Pair each A4 printer with the device's first document camera: it then offers ``copy``."""
    scanner = next((p for p in peripherals.values() if isinstance(p, DocumentCamera)), None)
    if scanner is None:
        return
    for p in peripherals.values():
        if isinstance(p, A4PrinterBase):
            p.pair_scanner(scanner)
