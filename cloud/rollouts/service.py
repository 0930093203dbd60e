"""Rollouts as operators see them: start one on a subtree, list, look, pause, resume, abort.

Every change is audited in its own transaction with the change; the gate
(:mod:`cloud.rollouts.gate`) does the rest. A change that meets the gate's at the same
moment loses on ``rollouts.revision`` and is tried again.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from cloud import audit
from cloud.db import sites as site_repo
from cloud.db.models import Device, Site, utcnow
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.rollouts.tables import AgentRelease, Rollout, RolloutDevice
from fleet.access import in_scope
from fleet.rollouts import (
    ACTIVE,
    Candidate,
    MemberState,
    RolloutRefused,
    RolloutState,
    WaveSpec,
    WaveState,
    assign,
    check_waves,
    default_waves,
    initial_state,
    wave_counts,
    wave_states,
)

ROLLOUT_ID_PATTERN = r"^ro-[0-9a-f]{24}$"
_RETRIES = 3


@dataclass(frozen=True)
class RolloutSpec:
    """What an operator asks for (``POST /api/v1/rollouts``)."""

    version: str
    site: str
    waves: Sequence[WaveSpec] | None = None
    health_window_s: int = 300
    max_failures: int = 0
    roles: frozenset[str] | None = None


@dataclass(frozen=True)
class Caller:
    actor: str
    ip: str = ""
    #: the caller's subtree: a rollout outside it does not exist for them
    scope: str = ""


@dataclass
class WaveView:
    index: int
    sites: list[str]
    max_devices: int | None
    state: WaveState
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class RolloutView:
    row: Rollout
    waves: list[WaveView]


class RolloutService:
    """The operator side of rollouts; ``wake`` tells the gate something changed."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], wake: Callable[[], None]
    ) -> None:
        self._sessions = sessions
        self._wake = wake

    async def start(self, spec: RolloutSpec, caller: Caller) -> RolloutView:
        async with self._sessions() as s:
            if await s.get(AgentRelease, spec.version) is None:
                raise NotFound(
                    f"agent release {spec.version} is not published: upload it first "
                    "(POST /api/v1/agent-releases)"
                )
            site = await site_repo.require(s, spec.site)
            await _refuse_overlap(s, spec.site)
            waves = list(spec.waves or default_waves(spec.site, await _children(s, site)))
            try:
                check_waves(spec.site, waves)
            except RolloutRefused as err:
                raise Unprocessable(str(err)) from err
            members = assign(waves, await _candidates(s, spec.site), spec.roles)
            if spec.waves is None:  # default waves: none without devices
                kept = [(w, m) for w, m in zip(waves, members, strict=True) if m]
                waves, members = [w for w, _ in kept], [m for _, m in kept]
            if not any(members):
                raise Conflict(
                    f"no device of {spec.site} (with the roles asked for) is in any wave: "
                    "check the subtree, the waves' sites and the roles"
                )
            row = _new_rollout(spec, waves, caller.actor)
            s.add(row)
            for index, wave in enumerate(members):
                for d in wave:
                    s.add(_member(row, index, d, spec.version))
            audit.add(s, _record(caller, "rollout.start", row, _start_detail(row, members)))
            await s.commit()
        self._wake()
        return await self.get(row.id, caller)

    async def list(self, caller: Caller, state: RolloutState | None = None) -> list[RolloutView]:
        async with self._sessions() as s:
            query = select(Rollout).where(_in_subtree(caller.scope))
            if state is not None:
                query = query.where(Rollout.state == state.value)
            rows = (await s.scalars(query.order_by(Rollout.created_at.desc()).limit(200))).all()
            return [await _view(s, row) for row in rows]

    async def get(self, rollout_id: str, caller: Caller) -> RolloutView:
        async with self._sessions() as s:
            return await _view(s, await _seen(s, rollout_id, caller))

    async def devices(self, rollout_id: str, caller: Caller) -> Sequence[RolloutDevice]:
        async with self._sessions() as s:
            await _seen(s, rollout_id, caller)
            query = select(RolloutDevice).where(RolloutDevice.rollout_id == rollout_id)
            return (
                await s.scalars(query.order_by(RolloutDevice.wave, RolloutDevice.device_id))
            ).all()

    async def pause(self, rollout_id: str, caller: Caller) -> RolloutView:
        return await self._change(rollout_id, caller, "pause")

    async def resume(self, rollout_id: str, caller: Caller) -> RolloutView:
        return await self._change(rollout_id, caller, "resume")

    async def abort(self, rollout_id: str, caller: Caller) -> RolloutView:
        return await self._change(rollout_id, caller, "abort")

    async def _change(self, rollout_id: str, caller: Caller, action: str) -> RolloutView:
        for attempt in range(_RETRIES):
            try:
                async with self._sessions() as s:
                    row = await _seen(s, rollout_id, caller)
                    _transition(row, action, utcnow())
                    audit.add(s, _record(caller, f"rollout.{action}", row, {}))
                    await s.commit()
                break
            except StaleDataError:  # the gate changed it meanwhile: look again
                if attempt == _RETRIES - 1:
                    raise
        self._wake()
        return await self.get(rollout_id, caller)


def _transition(row: Rollout, action: str, now: datetime) -> None:
    """Pause a running rollout, resume a paused one (its pending devices' clock restarts),
    abort either; anything else is a 409 naming the state."""
    allowed = {
        "pause": {RolloutState.RUNNING},
        "resume": {RolloutState.PAUSED},
        "abort": set(ACTIVE),
    }[action]
    state = RolloutState(row.state)
    if state not in allowed:
        raise Conflict(
            f"rollout {row.id} is {state.value}: only a "
            f"{' or '.join(sorted(s.value for s in allowed))} rollout can {action}"
        )
    row.updated_at = now
    if action == "pause":
        row.state = RolloutState.PAUSED.value
    elif action == "resume":
        row.state, row.wave_started_at = RolloutState.RUNNING.value, now
    else:
        row.state, row.ended_at = RolloutState.ABORTED.value, now
        row.reason = "aborted by an operator"


def _in_subtree(scope: str) -> ColumnElement[bool]:
    """SQL condition: a rollout's subtree root is ``scope`` or below it."""
    escaped = scope.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(Rollout.site_path == scope, Rollout.site_path.like(f"{escaped}/%", escape="\\"))


async def _seen(s: AsyncSession, rollout_id: str, caller: Caller) -> Rollout:
    row = await s.get(Rollout, rollout_id)
    if row is None or not in_scope(caller.scope, row.site_path):
        raise NotFound(f"rollout {rollout_id} not found")
    return row


async def _refuse_overlap(s: AsyncSession, site: str) -> None:
    query = select(Rollout).where(Rollout.state.in_([st.value for st in ACTIVE]))
    for other in (await s.scalars(query)).all():
        if in_scope(other.site_path, site) or in_scope(site, other.site_path):
            raise Conflict(
                f"rollout {other.id} ({other.version} on {other.site_path}) is still "
                f"{other.state} on an overlapping subtree: wait for it, or abort it first"
            )


async def _children(s: AsyncSession, site: Site) -> list[str]:
    query = select(Site.path).where(Site.parent_id == site.id)
    return list((await s.scalars(query)).all())


async def _candidates(s: AsyncSession, site: str) -> list[Candidate]:
    query = (
        select(Device.id, Site.path, Device.role, Device.versions)
        .join(Site, Site.id == Device.site_id)
        .where(site_repo.in_subtree(site), Device.revoked_at.is_(None))
    )
    rows = (await s.execute(query)).all()
    return [Candidate(d, path, role, str((v or {}).get("agent", ""))) for d, path, role, v in rows]


def _new_rollout(spec: RolloutSpec, waves: Sequence[WaveSpec], actor: str) -> Rollout:
    now = utcnow()
    return Rollout(
        id=f"ro-{secrets.token_hex(12)}",
        version=spec.version,
        site_path=spec.site,
        state=RolloutState.RUNNING.value,
        waves=[{"sites": list(w.sites), "max_devices": w.max_devices} for w in waves],
        wave=0,
        wave_started_at=now,
        health_window_s=spec.health_window_s,
        max_failures=spec.max_failures,
        roles=sorted(spec.roles or ()),
        reason="",
        created_at=now,
        created_by=actor,
        updated_at=now,
    )


def _member(row: Rollout, wave: int, d: Candidate, version: str) -> RolloutDevice:
    state = initial_state(d.running, version)
    return RolloutDevice(
        rollout_id=row.id,
        device_id=d.device_id,
        wave=wave,
        site_path=d.site_path,
        state=state.value,
        from_version=d.running,
        reason="already_running" if state is MemberState.HEALTHY else "",
        updated_at=row.created_at,
    )


def _start_detail(row: Rollout, members: list[list[Candidate]]) -> dict[str, object]:
    return {
        "version": row.version,
        "waves": [len(m) for m in members],
        "health_window_s": row.health_window_s,
        "max_failures": row.max_failures,
    }


def _record(
    caller: Caller, action: str, row: Rollout, detail: dict[str, object]
) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=caller.actor,
        action=action,
        result=audit.Result.OK,
        target=f"rollout:{row.id}",
        site=row.site_path,
        ip=caller.ip,
        detail={"version": row.version, **detail},
    )


async def _view(s: AsyncSession, row: Rollout) -> RolloutView:
    query = (
        select(RolloutDevice.wave, RolloutDevice.state, func.count())
        .where(RolloutDevice.rollout_id == row.id)
        .group_by(RolloutDevice.wave, RolloutDevice.state)
    )
    per_wave: dict[int, list[MemberState]] = {}
    for wave, state, n in (await s.execute(query)).all():
        per_wave.setdefault(wave, []).extend([MemberState(state)] * n)
    states = wave_states(RolloutState(row.state), row.wave, len(row.waves))
    return RolloutView(
        row,
        [
            WaveView(
                i,
                list(w["sites"]),
                w.get("max_devices"),
                states[i],
                wave_counts(per_wave.get(i, [])),
            )
            for i, w in enumerate(row.waves)
        ],
    )
