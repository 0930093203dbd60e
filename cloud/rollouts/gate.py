"""The health gate: a worker that moves every active rollout on, one round at a time.

Each round loads a rollout, the members of its current wave, their presence and version
(from births) and the ``upgrade`` events they sent, asks :func:`fleet.rollouts.step` what
to do, and stores the answer. The rollout row's ``revision`` makes the store conditional:
of two cloud workers running the gate, one commits and the other rolls back and sends
nothing, so a wave advances once and an order is not sent twice by two workers. Orders go
out only after the commit; a crash between the two is covered by the resend of unanswered
orders. Everything is in the database, so a restarted cloud carries on where it stopped.

The reports are read from ``device_events`` (ingest stores each ``upgrade`` event there, on
whichever worker received it), so no worker needs to see the event itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cloud import audit
from cloud.bus import Bus
from cloud.db.models import Device, DeviceEvent, utcnow
from cloud.errors import BusUnavailable
from cloud.grants import Grants
from cloud.rollouts.tables import AgentRelease, Rollout, RolloutDevice
from fleet.rollouts import (
    ACTIVE,
    Member,
    MemberState,
    Plan,
    Report,
    RolloutState,
    Step,
    furthest,
    step,
)
from protocols.messages import EventKind
from protocols.upgrade import Artifact, RollbackOrder, UpgradeOrder, UpgradeState

log = logging.getLogger(__name__)
#: the actor of the gate's own audit rows (a halt)
GATE_ACTOR = "cloud:rollout-gate"
#: an ended rollout is watched this many health windows more: a halted one orders late
#: switches back, and every one records what its devices still report
WATCH_WINDOWS = 2


@dataclass(frozen=True)
class Outbox:
    """What one round decided to send, after its commit."""

    rollout_id: str
    version: str
    health_window_s: int
    release: AgentRelease
    orders: list[str]
    #: device id → the version it goes back to
    rollbacks: dict[str, str]


class RolloutGate:
    """Runs the gate every ``tick_s`` (sooner when :meth:`wake` is called)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        grants: Grants,
        *,
        tick_s: float,
        resend_s: float,
    ) -> None:
        self._sessions = sessions
        self._bus = bus
        self._grants = grants
        self._tick_s = tick_s
        self._resend_s = resend_s
        self._woken = asyncio.Event()
        #: rounds that lost to another writer (a test and the metrics read it)
        self.lost_rounds = 0

    def wake(self) -> None:
        self._woken.set()

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception:  # the next round tries again; the reason is logged
                log.exception("rollout gate round failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._tick_s):
                    await self._woken.wait()
            self._woken.clear()

    async def tick(self, now: datetime | None = None) -> int:
        """One round over every rollout still worked on; how many changed."""
        changed = 0
        for rollout_id in await self._worked_on(now or utcnow()):
            for _ in range(8):  # a wave that passes lets the next start in the same round
                outcome = await self.advance(rollout_id, now or utcnow())
                if outcome is None:
                    break
                changed += 1
                await self._send(outcome[1])
                if outcome[0].passed is None:
                    break
        return changed

    async def _worked_on(self, now: datetime) -> list[str]:
        """Active rollouts, and ended ones for a while: a halted one orders late switches
        back, and every one records what its devices still report."""
        active = Rollout.state.in_([s.value for s in ACTIVE])
        query = select(Rollout.id, Rollout.ended_at, Rollout.health_window_s).where(
            or_(active, Rollout.ended_at > now - timedelta(seconds=WATCH_WINDOWS * 3600))
        )
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        return [
            rid
            for rid, ended, window in rows
            if ended is None or now < ended + timedelta(seconds=WATCH_WINDOWS * window)
        ]

    async def advance(self, rollout_id: str, now: datetime) -> tuple[Step, Outbox] | None:
        """One round of one rollout; None if nothing changed or another writer won."""
        try:
            async with self._sessions() as s:
                row = await s.get(Rollout, rollout_id)
                release = await s.get(AgentRelease, row.version) if row else None
                if row is None or release is None:
                    return None
                rows = await _wave_rows(s, row)
                members = await _members(s, row, rows)
                decided = step(self._plan(row), members, now)
                if not _changes(row, decided):
                    return None
                outbox = _apply(s, row, rows, decided, release, now)
                await s.commit()
                return decided, outbox
        except StaleDataError:
            self.lost_rounds += 1
            log.info("rollout %s: another writer moved it on first", rollout_id)
            return None

    def _plan(self, row: Rollout) -> Plan:
        return Plan(
            version=row.version,
            state=RolloutState(row.state),
            wave=row.wave,
            waves=len(row.waves),
            wave_started_at=row.wave_started_at,
            health_window_s=row.health_window_s,
            max_failures=row.max_failures,
            resend_after_s=self._resend_s,
        )

    async def _send(self, out: Outbox) -> None:
        for device_id in out.orders:
            fetch = self._grants.fetch_for(out.release.sha256)
            order = UpgradeOrder(
                rollout_id=out.rollout_id,
                version=out.version,
                artifact=Artifact(
                    url=fetch.url,
                    sha256=out.release.sha256,
                    size=out.release.size,
                    expires=datetime.fromtimestamp(fetch.expires, UTC).isoformat(),
                ),
                health_window_s=out.health_window_s,
            )
            await self._command(device_id, order, out.health_window_s)
        for device_id, to_version in out.rollbacks.items():
            rollback = RollbackOrder(rollout_id=out.rollout_id, to_version=to_version)
            await self._command(device_id, rollback, out.health_window_s)

    async def _command(
        self, device_id: str, body: UpgradeOrder | RollbackOrder, window_s: int
    ) -> None:
        try:  # an order is worth nothing after the window the gate gives it
            await self._bus.send_command(device_id, body, ttl_ms=window_s * 1000)
        except BusUnavailable as err:  # the resend of unanswered orders brings it back
            log.warning("%s to %s not sent yet: %s", body.op, device_id, err)


async def _wave_rows(s: AsyncSession, row: Rollout) -> Sequence[RolloutDevice]:
    query = select(RolloutDevice).where(
        RolloutDevice.rollout_id == row.id, RolloutDevice.wave == row.wave
    )
    return (await s.scalars(query)).all()


async def _members(s: AsyncSession, row: Rollout, rows: Sequence[RolloutDevice]) -> list[Member]:
    ids = [r.device_id for r in rows]
    facts = {
        d: (online, str((versions or {}).get("agent", "")))
        for d, online, versions in (
            await s.execute(
                select(Device.id, Device.online, Device.versions).where(Device.id.in_(ids))
            )
        ).all()
    }
    reports = await _reports(s, row, ids)
    return [
        Member(
            device_id=r.device_id,
            state=MemberState(r.state),
            from_version=r.from_version,
            ordered_at=r.ordered_at,
            sent_at=r.sent_at,
            rollback_sent=r.rollback_sent_at is not None,
            reason=r.reason,
            online=facts.get(r.device_id, (False, ""))[0],
            running=facts.get(r.device_id, (False, ""))[1],
            report=furthest(reports.get(r.device_id, [])),
        )
        for r in rows
    ]


async def _reports(s: AsyncSession, row: Rollout, ids: list[str]) -> dict[str, list[Report]]:
    """The ``upgrade`` events each device sent for this rollout."""
    if not ids:
        return {}
    query = select(DeviceEvent.device_id, DeviceEvent.data).where(
        DeviceEvent.kind == EventKind.UPGRADE.value,
        DeviceEvent.device_id.in_(ids),
        DeviceEvent.at >= row.created_at,
    )
    out: dict[str, list[Report]] = {}
    for device_id, data in (await s.execute(query)).all():
        if not isinstance(data, dict) or data.get("rollout_id") != row.id:
            continue
        try:
            state = UpgradeState(str(data.get("state")))
        except ValueError:
            continue  # ingest validated it; an older row of another shape is not ours
        out.setdefault(device_id, []).append(Report(state, str(data.get("reason", ""))[:64]))
    return out


def _changes(row: Rollout, decided: Step) -> bool:
    return bool(
        decided.changed
        or decided.orders
        or decided.rollbacks
        or decided.state.value != row.state
        or decided.wave != row.wave
    )


def _apply(
    s: AsyncSession,
    row: Rollout,
    rows: Sequence[RolloutDevice],
    decided: Step,
    release: AgentRelease,
    now: datetime,
) -> Outbox:
    by_id = {r.device_id: r for r in rows}
    for device_id, (state, reason) in decided.changed.items():
        member = by_id[device_id]
        member.state, member.reason, member.updated_at = state.value, reason[:64], now
    for device_id in decided.orders:
        member = by_id[device_id]
        member.ordered_at = member.ordered_at or now
        member.sent_at = now
    for device_id in decided.rollbacks:
        by_id[device_id].rollback_sent_at = now
    was = RolloutState(row.state)
    row.state, row.wave, row.wave_started_at = (
        decided.state.value,
        decided.wave,
        decided.wave_started_at,
    )
    row.updated_at = now
    if decided.state is not was and decided.state not in ACTIVE:
        row.ended_at, row.reason = now, decided.reason[:500]
    if decided.halted and was is not RolloutState.HALTED:
        log.warning("rollout %s of %s halted: %s", row.id, row.version, decided.reason)
        audit.add(s, _halt_record(row, decided))
    return Outbox(
        row.id,
        row.version,
        row.health_window_s,
        release,
        list(decided.orders),
        {d: by_id[d].from_version for d in decided.rollbacks},
    )


def _halt_record(row: Rollout, decided: Step) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=GATE_ACTOR,
        action="rollout.halt",
        result=audit.Result.OK,
        target=f"rollout:{row.id}",
        site=row.site_path,
        message=decided.reason[:1024],
        detail={"version": row.version, "wave": row.wave, "rollbacks": len(decided.rollbacks)},
    )
