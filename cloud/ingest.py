"""What the cloud does with each upstream message: presence, peripherals, events, metrics, acks.

Each handler has its own transaction, except acks, telemetry and presence (births and
states): a run of one of them waiting in one bus batch shares one (``cloud.acks``,
``cloud.telemetry.ingest_batch``, ``cloud.presence_ingest``), falling back to one per
message, so one bad message cannot take the others down. Anything not applied is
counted and logged with a reason (:class:`~cloud.stats.BusStats`); nothing raises on bad input.

Devices send acks, events and telemetry at least once (their outbox replays whatever the
broker had not acknowledged, with the same envelope id), so each of these is applied at most
once per message id: the id goes into ``processed_messages`` (primary key) in the same
transaction, and a message whose id is already there is dropped and counted as ignored
``duplicate_message``. The window is the table's retention (``DEDUPE_WINDOW`` in
``cloud.retention``, 24 h): a replay of an older message would be applied again.

Before any handler sees an event or an ack, raw ID numbers and names in it are masked
(``protocols.privacy``; counted under ``redacted`` and logged without the values), so nothing
below stores or logs them (``docs/privacy.md``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cloud.acks import RACE_RETRIES, AckApplier, Failure
from cloud.calls import apply_reply
from cloud.clocks import DeviceClocks, record_skew_change
from cloud.db import devices as device_repo
from cloud.db import messages as message_repo
from cloud.db.models import Device, DeviceEvent, ProcessedMessage, utcnow
from cloud.enrollment.gate import EnrollmentGate
from cloud.events import (
    EventChannel,
    PeripheralEventIn,
    PeripheralEvents,
    RebirthWanted,
)
from cloud.hub import ChangeHub
from cloud.liveness import LivenessWatch
from cloud.presence_ingest import PresenceIngest
from cloud.reasons import Ignored, Rejected
from cloud.stats import BusStats
from cloud.telemetry.ingest_batch import TeleIngest
from cloud.telemetry.lean import LeanTelemetryBody
from cloud.telemetry.pipeline import TelemetryPipeline
from fleet.peripherals import find
from protocols.envelope import Envelope, MsgType, wall_ms
from protocols.messages import AckBody, BirthBody, EventBody, EventKind, StateBody, TelemetryBody
from protocols.privacy import describe, redact

log = logging.getLogger(__name__)

#: Ask an unknown device to announce itself again at most this often.
REBIRTH_EVERY_S = 60.0


class Ingest:
    """Applies decoded upstream envelopes to the database."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        hub: ChangeHub,
        stats: BusStats,
        clocks: DeviceClocks,
        acks: AckApplier,
        events: EventChannel,
        telemetry: TelemetryPipeline,
        *,
        auto_register: bool = True,
        require_enrollment: bool = False,
        liveness: LivenessWatch | None = None,
        peripheral_events: PeripheralEvents | None = None,
    ) -> None:
        self._sessions = sessions
        self._hub = hub
        self._stats = stats
        self._events = events
        self._auto_register = auto_register
        self._gate = EnrollmentGate(require_enrollment)
        self._rebirth_asked: dict[str, float] = {}
        self.clocks = clocks
        self._acks = acks
        self._tele = TeleIngest(sessions, hub, stats, telemetry, self._unknown, self._commit_once)
        #: births and states, a run of them in one transaction (``cloud.presence_ingest``)
        self.presence = PresenceIngest(
            sessions,
            hub,
            stats,
            events,
            self._gate,
            self._unknown,
            auto_register=auto_register,
            liveness=liveness,
        )
        self._liveness = liveness
        #: button and rating events go on to the hall once stored (``cloud.events``)
        self.peripheral_events = peripheral_events or PeripheralEvents()

    async def handle(self, device_id: str, env: Envelope[Any]) -> None:
        for attempt in range(RACE_RETRIES):
            try:
                await self._dispatch(device_id, env)
                return
            except (StaleDataError, IntegrityError) as race:  # a job changed under an ack, or
                # another cloud worker registered the birth's device first: apply it again
                other = isinstance(race, IntegrityError) and env.type is not MsgType.BIRTH
                if other or attempt == RACE_RETRIES - 1:
                    raise
                log.debug("%s message %s met another writer; retrying", env.type, env.id)

    async def _dispatch(self, device_id: str, env: Envelope[Any]) -> None:
        body = env.body
        if env.type in (MsgType.BIRTH, MsgType.STATE) and isinstance(body, BirthBody | StateBody):
            return await self.presence.apply([(device_id, env)])  # counts it itself
        elif env.type is MsgType.TELE and isinstance(body, TelemetryBody | LeanTelemetryBody):
            await self._tele.one(device_id, env.id, body)
        elif env.type is MsgType.EVT and isinstance(body, EventBody):
            await self._evt(device_id, env.id, body, env.ts)
        elif env.type is MsgType.ACK and isinstance(body, AckBody) and body.subject == "call":
            await apply_reply(self._sessions, self._hub, self._stats, device_id, body)
        elif env.type is MsgType.ACK and isinstance(body, AckBody):
            return await self._acks.one(device_id, env.id, body)  # counts it itself
        else:
            self._stats.reject(
                Rejected.BAD_CHANNEL, f"{env.type} messages are not accepted upstream"
            )
            return
        self._stats.handle(env.type.value)

    async def _unknown(self, device_id: str, what: str) -> None:
        """Reject a message from a device we have no birth of, and ask it for one (rarely).

        This heals a cloud whose database was reset while devices stayed connected.
        """
        self._stats.reject(
            Rejected.UNKNOWN_DEVICE, f"{what} from {device_id}, which has sent no birth"
        )
        now = time.monotonic()
        if not self._auto_register:
            return
        if now - self._rebirth_asked.get(device_id, -REBIRTH_EVERY_S) < REBIRTH_EVERY_S:
            return
        self._rebirth_asked[device_id] = now
        if len(self._rebirth_asked) > 10_000:  # bounded: forget the oldest asks
            for key in sorted(self._rebirth_asked, key=self._rebirth_asked.__getitem__)[:5000]:
                del self._rebirth_asked[key]
        self._events.publish(RebirthWanted(device_id))

    # -- events ------------------------------------------------------------------------------

    async def _evt(self, device_id: str, msg_id: str, body: EventBody, ts: int) -> None:
        needs = body.kind is EventKind.PERIPHERAL_HEALTH
        if needs and (body.peripheral is None or body.health is None):
            return self._stats.reject(
                Rejected.BAD_EVENT,
                f"peripheral_health event from {device_id} lacks peripheral/health",
            )
        async with self._sessions() as s:
            device = await device_repo.get(s, device_id)
            if device is None:
                return await self._unknown(device_id, "event")
            now = utcnow()
            if body.kind is EventKind.PERIPHERAL_HEALTH and body.health is not None:
                self._peripheral_health(device, body, now.isoformat())
            device.last_seen = now
            s.add(
                DeviceEvent(
                    device_id=device_id,
                    at=now,
                    kind=body.kind.value,
                    peripheral=body.peripheral,
                    health=body.health.value if body.health else None,
                    reason=body.reason,
                    data=dict(body.data),
                    device_ts=ts,
                    corrected_at=self.clocks.corrected(device_id, ts),
                )
            )
            if not await self._commit_once(s, device_id, msg_id):
                return
        self._hub.publish(f"device:{device_id}", "evt")
        if body.kind in (EventKind.BUTTON, EventKind.RATING, EventKind.STREAM):  # 16: streams
            await self.peripheral_events.deliver(PeripheralEventIn(device_id, msg_id, body, now))

    def _peripheral_health(self, device: Device, body: EventBody, at: str) -> None:
        assert body.health is not None and body.peripheral is not None
        states = device_repo.peripherals(device)
        if find(states, body.peripheral) is None:
            return self._stats.ignore(
                Ignored.UNKNOWN_PERIPHERAL, f"{device.id} has no peripheral {body.peripheral!r}"
            )
        device_repo.set_peripherals(
            device,
            [
                p.with_health(body.health, body.reason, at) if p.id == body.peripheral else p
                for p in states
            ],
        )

    async def _commit_once(self, s: AsyncSession, device_id: str, msg_id: str) -> bool:
        """Commit with ``msg_id`` recorded; False (rolled back, counted) if it was seen before.

        The check and the insert are one statement against a primary key, so two cloud
        workers handling copies of one message at the same time apply it once.
        """
        s.add(ProcessedMessage(id=msg_id, device_id=device_id, received_at=utcnow()))
        try:
            await s.commit()
        except IntegrityError:
            await s.rollback()
            if not await message_repo.was_processed(s, msg_id):
                raise  # another constraint failed: not a duplicate
            self._stats.ignore(Ignored.DUPLICATE_MESSAGE, f"{device_id} {msg_id}")
            return False
        return True

    # -- job progress ------------------------------------------------------------------------

    async def handle_batch(self, items: Sequence[tuple[str, Envelope[Any]]]) -> list[Failure]:
        """Apply messages already waiting, in order; runs of acks share one transaction.

        Returns the messages that failed (index, error), for the caller to count and log;
        the others are applied whatever happens to those.
        """
        received = wall_ms()
        items = [(device_id, self._redact(device_id, env)) for device_id, env in items]
        await self._seen(items)
        for device_id, env in items:
            offset = self.clocks.offset_ms(device_id) or 0
            self._stats.observe_lag((received - env.ts - offset) / 1000)
            if env.type in _CLOCKLESS:
                continue
            change = self.clocks.observe(device_id, env.ts, env.mono, received)
            if change is not None:
                await record_skew_change(self._sessions, self._hub, change, self.clocks.warn_ms)
        failures: list[Failure] = []
        run: list[int] = []
        kind: _Run | None = None
        for i, (device_id, env) in enumerate(items):
            this = _run_kind(env)
            if run and this is not kind:
                failures += await self._run(kind, items, run)
                run = []
            kind = this
            if this is not None:
                run.append(i)
                continue
            try:
                await self.handle(device_id, env)
            except Exception as err:
                failures.append((i, err))
        if run:
            failures += await self._run(kind, items, run)
        return failures

    async def _run(
        self, kind: _Run | None, items: Sequence[tuple[str, Envelope[Any]]], run: list[int]
    ) -> list[Failure]:
        """Job acks in one group commit (``cloud.acks``); telemetry in one transaction
        (``cloud.telemetry.ingest_batch``), each message counted as handled unless it failed."""
        if kind is _Run.ACKS:
            return await self._acks.run(items, run)
        if kind is _Run.PRESENCE:
            return await self.presence.run(items, run)
        failures = await self._tele.run(items, run)
        for _ in range(len(run) - len(failures)):
            self._stats.handle(MsgType.TELE.value)
        return failures

    async def _seen(self, items: Sequence[tuple[str, Envelope[Any]]]) -> None:
        """Telemetry, events and acks are signs of life (``last_seen``, back from silence).

        Births and states are judged by their handlers: the broker redelivers the retained
        ones whenever the cloud reconnects, long after the device said them."""
        if self._liveness is None:
            return
        alive = {
            device_id for device_id, env in items if env.type not in (MsgType.BIRTH, MsgType.STATE)
        }
        try:
            await self._liveness.seen(alive)
        except Exception:  # liveness must never stop the messages themselves
            log.exception("could not record that %d device(s) were seen", len(alive))

    def _redact(self, device_id: str, env: Envelope[Any]) -> Envelope[Any]:
        """``env`` with personal data masked (``protocols.privacy``), before anything stores it."""
        safe = redact(env.body)
        if not safe.findings:
            return env
        self._stats.redact(device_id, f"{describe(env.body)} ({env.id})", safe.findings)
        return env.model_copy(update={"body": safe.body})


#: Births and states are no clock samples: the broker redelivers them retained long after
#: they were said, and at a mass reconnect they are the messages that wait longest in the
#: cloud's own queues, so the first samples of every device all carried seconds of backlog
#: and the whole fleet was flagged skewed (issue 17: 10,000 devices). _CLOCKLESS names them.
_CLOCKLESS = (MsgType.BIRTH, MsgType.STATE)


class _Run(Enum):
    """Consecutive messages of these kinds are applied together."""

    ACKS = "acks"
    TELE = "tele"
    PRESENCE = "presence"


def _run_kind(env: Envelope[Any]) -> _Run | None:
    body = env.body
    if env.type is MsgType.ACK and isinstance(body, AckBody) and body.subject == "job":
        return _Run.ACKS  # a call's answer is not a job's ack
    if env.type is MsgType.TELE and isinstance(body, TelemetryBody | LeanTelemetryBody):
        return _Run.TELE
    if env.type in (MsgType.BIRTH, MsgType.STATE) and isinstance(body, BirthBody | StateBody):
        return _Run.PRESENCE
    return None
