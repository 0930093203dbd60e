"""The composition root: builds every part of one running cloud once and wires each service
with exactly what it uses. Nothing else constructs services; nothing receives this whole.

Ingest → (typed events on a bounded channel) → dispatcher; the bus hands upstream messages
to ingest; commands go out through the bus.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from cloud.acks import AckApplier
from cloud.alerts.evaluator import Evaluator
from cloud.auth.cache import PrincipalCache
from cloud.blobs import BlobStore
from cloud.broker_acl.factory import RunningAccess, broker_access_for
from cloud.bus import Bus
from cloud.calls import CallService
from cloud.clocks import DeviceClocks
from cloud.commands import Commands
from cloud.db.models import utcnow
from cloud.db.session import make_engine, make_sessions
from cloud.dispatcher import BATCH, Dispatcher, Timing
from cloud.enrollment.service import Enrollment, build_enrollment
from cloud.events import EventChannel
from cloud.failover import Failover
from cloud.grants import Grants
from cloud.hall.content_build import build_content
from cloud.hall.haocha.build import build_forwarder
from cloud.hall.kiosk_wiring import add_kiosk_tickets
from cloud.hall.parts import Hall
from cloud.hall.publisher import ContentPublisher
from cloud.hall.queue_buttons import CallButtonSink
from cloud.hall.queue_desk import WindowDesk
from cloud.hall.queue_live import QueueLive
from cloud.hall.queue_service import BuiltinQueue
from cloud.hall.ratings_service import build_ratings
from cloud.help.incall import InCall
from cloud.help.parts import HelpDesk, build_help
from cloud.hub import ChangeHub
from cloud.hub_relay import HubRelay
from cloud.ingest import Ingest
from cloud.job_intake import JobIntake
from cloud.jobs import JobService
from cloud.kiosk.build import build_kiosk
from cloud.kiosk.parts import Kiosk
from cloud.liveness import LivenessWatch
from cloud.media.build import build_media
from cloud.media.call_recordings import CallRecordings
from cloud.media.monitor import StreamMonitor, build_monitor
from cloud.media.service import MediaService
from cloud.notify.config import load_channels
from cloud.notify.model import Notifier
from cloud.notify.service import MessageService, RetryPolicy
from cloud.readiness import WorkerBoard
from cloud.retention import Retention
from cloud.rollouts.parts import Rollouts, build_rollouts
from cloud.settings import Settings
from cloud.stats import BusStats
from cloud.telemetry.pipeline import TelemetryPipeline
from cloud.telemetry.sql_store import SqlStore
from cloud.telemetry.stores import open_store
from cloud.telemetry.validate import Limits
from fleet.failover import FailoverPolicy


@dataclass(frozen=True)
class Parts:
    """The running cloud's parts, for the app's lifespan, its routers and tests."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    hub: ChangeHub
    stats: BusStats
    clocks: DeviceClocks
    blobs: BlobStore
    ingest: Ingest
    bus: Bus
    dispatcher: Dispatcher
    jobs: JobService
    calls: CallService
    #: broker identities per ``settings.broker_acl`` (its ``run`` is a worker of the app)
    access: RunningAccess
    enrollment: Enrollment
    #: telemetry ingest (its ``run`` is a worker of the app; ``telemetry.store`` is where
    #: points go and where the read API asks)
    telemetry: TelemetryPipeline
    #: marks devices silent (its ``run`` is a worker of the app)
    liveness: LivenessWatch
    #: the app's worker tasks and whether startup migrated the schema (``/readyz``)
    workers: WorkerBoard
    #: ingest → dispatcher (its depth is a metric)
    events: EventChannel
    #: the message service (alert notifications); its ``run`` is a worker of the app
    notify: MessageService
    #: the message service as alerts see it (issue 12): ``notify`` unless a test gives another
    notifier: Notifier
    #: the alert evaluator (its ``run`` is a worker of the app; the API wakes it)
    alerts: Evaluator
    #: issue 13: queue, screen content, ratings (its ``run`` is a worker of the app)
    hall: Hall
    #: issue 14: the kiosk services (its ``run`` is a worker of the app)
    kiosk: Kiosk
    #: issue 16: remote operation and material review during a help call
    cobrowse: InCall
    #: issue 16: the media plane (WHIP/WHEP relay, tokens, device streams; its ``run`` is a
    #: worker of the app)
    media: MediaService
    #: issue 16 walls: 7x24 monitoring streams and stream health into telemetry (its ``run``
    #: is a worker of the app; idle without a media plane)
    monitor: StreamMonitor
    #: issue 16: the remote-help call centre (its ``run`` is a worker of the app); built from
    #: the parts above (``__post_init__``), so ``build`` stays one screen
    help: HelpDesk = field(init=False)
    #: issue 16: recordings of remote-help calls (``help_recording``; its ``run`` is a worker)
    recordings: CallRecordings = field(init=False)
    #: issue 17: agent releases and staged rollouts (its ``run`` is the gate, a worker)
    rollouts: Rollouts = field(init=False)
    #: issue 17: the hub's notices to and from the other cloud workers (its ``run`` is a
    #: worker of the app; idle with one worker or on SQLite)
    relay: HubRelay = field(init=False)
    #: issue 17: authenticated callers kept a few seconds (dropped on any identity write)
    principals: PrincipalCache = field(init=False)

    def __post_init__(self) -> None:
        desk = build_help(
            self.settings, self.sessions, self.hub, self.media, self.ingest.peripheral_events.add
        )
        object.__setattr__(self, "help", desk)
        object.__setattr__(self, "relay", HubRelay(self.hub, self.settings))
        object.__setattr__(self, "principals", PrincipalCache(self.engine, self.hub))
        self.media.directory = desk.directory  # call streams take their call's site (scoping)
        self.cobrowse.attach(desk)  # in-call features look calls up and drop an ended one
        object.__setattr__(self, "recordings", _call_recordings(self.settings, self))
        desk.on_change(self.recordings.on_call)
        rollouts = build_rollouts(self.settings, self.sessions, self.bus, self.blobs)
        object.__setattr__(self, "rollouts", rollouts)  # issue 17


def _call_recordings(settings: Settings, parts: Parts) -> CallRecordings:
    return CallRecordings(
        parts.sessions,
        parts.media.backend,
        settings.help_recording_dir or settings.data_dir / "recordings",
        settings.help_recording_max_mb * 2**20,
        settings.help_recording_days,
    )


def _job_service(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    hub: ChangeHub,
    dispatcher: Dispatcher,
    commands: Commands,
    blobs: BlobStore,
) -> JobService:
    return JobService(
        sessions,
        hub,
        dispatcher,
        commands,
        blobs,
        default_ttl_s=settings.job_ttl_s,
        default_max_attempts=settings.retry_max_attempts,
        intake=JobIntake.of(settings, commands.backlog),
    )


def build(settings: Settings, notifier: Notifier | None = None) -> Parts:
    """Create the parts; nothing connects until the app's lifespan runs them."""
    sessions = make_sessions(engine := make_engine(settings.database_url))
    hub, events = ChangeHub(), EventChannel()
    stats, clocks = BusStats(hub), DeviceClocks(settings.clock_skew_warn_ms)
    blobs = BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes)
    acks = AckApplier(sessions, hub, stats, settings.retry_policy, blobs)
    telemetry = build_telemetry(settings, sessions, clocks)
    access = broker_access_for(settings, sessions)
    liveness = LivenessWatch(sessions, hub, events, settings.liveness_interval_s)
    ingest = _ingest(
        settings, sessions, hub, stats, clocks, acks, events, telemetry, access, liveness
    )
    bus = Bus(settings, stats, ingest.handle_batch)
    liveness.listening_since = partial(listening_since, bus, settings.bus_queue_size)
    commands = Commands(bus, Grants(settings), clocks, settings.failover_grace_s)
    policy = FailoverPolicy(settings.failover_grace_s, settings.failover_margin_s)
    dispatcher = Dispatcher(
        sessions,
        hub,
        commands,
        events,
        Failover(sessions, hub, bus, policy, batch=BATCH),
        Retention(sessions, [telemetry.store] if isinstance(telemetry.store, SqlStore) else []),
        Timing(settings.dispatch_interval_s, settings.ack_timeout_s, settings.reconcile_after_s),
    )
    jobs = _job_service(settings, sessions, hub, dispatcher, commands, blobs)
    calls = CallService(sessions, hub, bus)
    enrollment = build_enrollment(settings, sessions, hub, dispatcher, access)
    notify = build_notify(settings, sessions, bus)
    notifier = notifier if notifier is not None else notify
    alerts = _evaluator(settings, sessions, notifier, bus)
    hall = build_hall(settings, sessions, hub, bus, ingest, jobs, calls, notifier)
    return Parts(
        settings,
        engine,
        sessions,
        hub,
        stats,
        clocks,
        blobs,
        ingest,
        bus,
        dispatcher,
        jobs,
        calls,
        access,
        enrollment,
        telemetry,
        liveness,
        WorkerBoard(),
        events,
        notify,
        notifier,
        alerts,
        hall,
        *with_in_call(build_kiosk(settings, sessions, jobs, hall)),
        media=(media := build_media(settings, sessions, calls, ingest.peripheral_events)),
        monitor=build_monitor(settings, sessions, telemetry, media),
    )


def with_in_call(kiosk: Kiosk) -> tuple[Kiosk, InCall]:
    """The kiosk services and, on their scanned pages, a help call's in-call part (issue 16)."""
    return kiosk, InCall(kiosk.apply)


def build_hall(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    hub: ChangeHub,
    bus: Bus,
    ingest: Ingest,
    jobs: JobService,
    calls: CallService,
    notifier: Notifier,
) -> Hall:
    """The hall's parts (issue 13); each capability adds its own here."""
    hall = Hall(ContentPublisher(bus))
    hall.content = build_content(settings, sessions, hall.publisher)
    hall.workers.append(("content-republish", hall.content.republish_at_start))
    _add_queue(hall, sessions, ingest)
    _add_ratings(hall, settings, sessions, calls, notifier, ingest)
    add_kiosk_tickets(hall, settings, sessions, jobs, builtin=hall.queue)
    hall.haocha = build_forwarder(settings, sessions, notifier)
    hall.workers.append(("haocha", hall.haocha.run))
    return hall


def _add_queue(hall: Hall, sessions: async_sessionmaker[AsyncSession], ingest: Ingest) -> None:
    """The built-in queue: live state republished at start, the call buttons' sink."""
    live = QueueLive(sessions, hall.publisher)
    hall.live = live
    hall.queue = BuiltinQueue(sessions, hall.signals, live.changed)
    hall.desk = WindowDesk(sessions, live.changed)
    hall.workers.append(("queue-live", live.run))
    ingest.peripheral_events.add(CallButtonSink(sessions, hall.queue_for))


def _add_ratings(
    hall: Hall,
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    calls: CallService,
    notifier: Notifier,
    ingest: Ingest,
) -> None:
    """好差评: the window pads asked when a service completes, ratings, follow-ups."""
    secret = settings.secret_key.get_secret_value()
    hall.ratings = build_ratings(settings, secret, sessions, calls, notifier)
    hall.signals.on_ticket_done(hall.ratings.pad)
    ingest.peripheral_events.add(hall.ratings.pad)
    hall.workers.extend(hall.ratings.workers())


def _ingest(  # the parts ingest uses, each once
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    hub: ChangeHub,
    stats: BusStats,
    clocks: DeviceClocks,
    acks: AckApplier,
    events: EventChannel,
    telemetry: TelemetryPipeline,
    access: RunningAccess,
    liveness: LivenessWatch,
) -> Ingest:
    return Ingest(
        sessions,
        hub,
        stats,
        clocks,
        acks,
        events,
        telemetry,
        auto_register=settings.auto_register_devices,
        require_enrollment=access.enforced,
        liveness=liveness,
    )


def build_telemetry(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], clocks: DeviceClocks
) -> TelemetryPipeline:
    """The store ``tsdb_url`` names and the ingest pipeline with the limits and buffer of
    ``settings``."""
    limits = Limits(
        future_ms=settings.tele_future_ms,
        max_age_ms=int(settings.tele_raw_retention_days * 24 * 3600 * 1000),
        per_series_min=settings.tele_max_points_per_series_min,
    )
    return TelemetryPipeline(
        open_store(settings, sessions),
        sessions,
        clocks,
        limits,
        buffer_points=settings.tele_buffer_points,
        batch_points=settings.tele_batch_points,
    )


def build_notify(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], bus: Bus
) -> MessageService:
    """The message service with the configured channels (a bad configuration stops startup)."""
    policy = RetryPolicy(
        max_attempts=settings.notify_max_attempts,
        backoff_s=settings.notify_backoff_s,
        backoff_cap_s=settings.notify_backoff_cap_s,
        lease_s=settings.notify_lease_s,
        poll_s=settings.notify_poll_s,
    )
    channels = load_channels(settings.notify_channels, settings.notify_channels_file)
    return MessageService(sessions, channels, bus.publish, policy)


def _evaluator(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], notifier: Notifier, bus: Bus
) -> Evaluator:
    """The alert evaluator, letting its timed rounds pass while the bus is behind."""
    behind = partial(bus_behind, bus, settings.bus_queue_size)
    return Evaluator(sessions, notifier, settings.alert_eval_interval_s, behind=behind)


def bus_behind(bus: Bus, backlog: int) -> bool:
    """Whether ``backlog`` or more received messages wait for handling (the alert evaluator
    lets its timed rounds pass meanwhile; issue 17)."""
    return bus.queue_depth() >= backlog


def listening_since(bus: Bus, backlog: int) -> datetime | None:
    """Wall-clock time the bus subscribed on its current connection; None while not connected,
    and while ``backlog`` or more received messages wait for handling: the quiet of a device
    whose messages sit in our own queues is ours, not the device's (issue 17: after a mass
    reconnect of 5,000 devices the whole fleet was marked silent)."""
    since = bus.connected_since
    if since is None or bus.queue_depth() >= backlog:
        return None
    return utcnow() - timedelta(seconds=asyncio.get_running_loop().time() - since)
