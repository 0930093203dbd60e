"""Staged agent rollouts (issue 17): which devices go in which wave, the health gate, when a
rollout halts and which devices are ordered back.

Pure decisions: ``cloud.rollouts`` loads a rollout, the members of its current wave and what
they reported, calls :func:`step`, stores the result and sends the orders it names only
after the transaction has committed. Nothing here reads a clock; ``now`` is an argument.

A wave passes when every member is ``healthy`` (it reported ``healthy`` for the version and
its last birth says it runs it). A member that has not got there ``health_window_s`` after
its order (or, while it is offline and so not ordered, after the wave started) has timed
out. More than ``max_failures`` failed, rolled back or timed out members halt the rollout:
the members that switched are ordered back to the version they ran before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from fleet.access import in_scope
from protocols.upgrade import UpgradeState


class RolloutState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"  # no new orders, no next wave; orders out keep their gate
    COMPLETED = "completed"  # every wave passed
    HALTED = "halted"  # a wave failed its gate: its switched members are ordered back
    ABORTED = "aborted"  # an operator stopped it: no more orders, nothing rolled back


#: a rollout the gate still works on (a halted one too: late switches are ordered back)
ACTIVE = frozenset({RolloutState.RUNNING, RolloutState.PAUSED})


class WaveState(StrEnum):
    WAITING = "waiting"  # an earlier wave has not passed yet
    RUNNING = "running"
    PASSED = "passed"
    HALTED = "halted"
    STOPPED = "stopped"  # the rollout was aborted or halted before this wave ran


class MemberState(StrEnum):
    PENDING = "pending"  # not ordered yet: its wave has not started, or it is offline
    ORDERED = "ordered"  # the order is out; the device has not answered yet
    DOWNLOADING = "downloading"
    STAGED = "staged"
    SWITCHING = "switching"
    HEALTHY = "healthy"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"
    TIMED_OUT = "timed_out"  # not healthy within the health window


FAILURES = frozenset({MemberState.FAILED, MemberState.ROLLED_BACK, MemberState.TIMED_OUT})
DONE = FAILURES | {MemberState.HEALTHY}
#: members that may be running the new version (a halt orders them back)
SWITCHED = frozenset({MemberState.SWITCHING, MemberState.HEALTHY})
_FROM_REPORT = {
    UpgradeState.DOWNLOADING: MemberState.DOWNLOADING,
    UpgradeState.STAGED: MemberState.STAGED,
    UpgradeState.SWITCHING: MemberState.SWITCHING,
    UpgradeState.HEALTHY: MemberState.HEALTHY,
    UpgradeState.FAILED: MemberState.FAILED,
    UpgradeState.ROLLED_BACK: MemberState.ROLLED_BACK,
}
#: how far along a member is: a report never moves it back (replays arrive out of order)
_RANK = {
    MemberState.PENDING: 0,
    MemberState.ORDERED: 1,
    MemberState.DOWNLOADING: 2,
    MemberState.STAGED: 3,
    MemberState.SWITCHING: 4,
    MemberState.HEALTHY: 5,
    MemberState.TIMED_OUT: 6,
    MemberState.FAILED: 7,
    MemberState.ROLLED_BACK: 8,
}


class RolloutRefused(ValueError):
    """The rollout asked for cannot be planned (the message says what to change)."""


@dataclass(frozen=True)
class WaveSpec:
    """Site subtrees of one wave and, optionally, at most how many devices (a canary)."""

    sites: tuple[str, ...]
    max_devices: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A device of the rollout's subtree when it is created."""

    device_id: str
    site_path: str
    role: str
    running: str  # the agent version of its last birth ("" if it never said)


def default_waves(site: str, children: Sequence[str]) -> list[WaveSpec]:
    """One wave per child site in path order, then the subtree root's own devices (the
    service leaves out those that hold no device)."""
    waves = [WaveSpec((child,)) for child in sorted(children)]
    return [*waves, WaveSpec((site,))]


def check_waves(site: str, waves: Sequence[WaveSpec]) -> None:
    """Every wave's sites lie inside ``site``'s subtree; else :class:`RolloutRefused`."""
    for index, wave in enumerate(waves):
        outside = [s for s in wave.sites if not in_scope(site, s)]
        if outside:
            raise RolloutRefused(
                f"wave {index} names {', '.join(outside)}, outside the rollout's subtree "
                f"{site}: name sites under {site}, or start the rollout higher up"
            )


def assign(
    waves: Sequence[WaveSpec], devices: Iterable[Candidate], roles: frozenset[str] | None
) -> list[list[Candidate]]:
    """The members of each wave: devices of its subtrees (and roles) that no earlier wave
    took, in (site path, id) order, cut at ``max_devices``."""
    pool = sorted(
        (d for d in devices if roles is None or d.role in roles),
        key=lambda d: (d.site_path, d.device_id),
    )
    taken: set[str] = set()
    out: list[list[Candidate]] = []
    for wave in waves:
        members = [
            d
            for d in pool
            if d.device_id not in taken and any(in_scope(s, d.site_path) for s in wave.sites)
        ]
        if wave.max_devices is not None:
            members = members[: wave.max_devices]
        taken.update(d.device_id for d in members)
        out.append(members)
    return out


def initial_state(running: str, version: str) -> MemberState:
    """A device already running the version needs no order: it counts as healthy."""
    return MemberState.HEALTHY if running == version else MemberState.PENDING


@dataclass(frozen=True)
class Report:
    """The furthest ``upgrade`` event a device sent for this rollout and version."""

    state: UpgradeState
    reason: str = ""


def furthest(reports: Iterable[Report]) -> Report | None:
    """The report furthest along of a device's (replays and reorders change nothing)."""
    best: Report | None = None
    for report in reports:
        if best is None or _RANK[_FROM_REPORT[report.state]] > _RANK[_FROM_REPORT[best.state]]:
            best = report
    return best


@dataclass(frozen=True)
class Member:
    """One device of the current wave: what is stored and what it says now."""

    device_id: str
    state: MemberState
    from_version: str
    ordered_at: datetime | None = None
    sent_at: datetime | None = None
    rollback_sent: bool = False
    reason: str = ""
    online: bool = False
    running: str = ""  # the agent version of its last birth
    report: Report | None = None


@dataclass(frozen=True)
class Plan:
    """What of the rollout the gate needs."""

    version: str
    state: RolloutState
    wave: int  # the current wave's index
    waves: int  # how many waves there are
    wave_started_at: datetime
    health_window_s: int
    max_failures: int
    resend_after_s: float = 60.0


@dataclass
class Step:
    """What the gate decided: stored by the caller, then the orders are sent."""

    state: RolloutState
    wave: int
    wave_started_at: datetime
    reason: str = ""
    #: device id → (new state, reason) for members whose stored state changes
    changed: dict[str, tuple[MemberState, str]] = field(default_factory=dict)
    #: devices to send ``agent.upgrade`` now (first order or a resend)
    orders: list[str] = field(default_factory=list)
    #: devices to send ``agent.rollback`` now
    rollbacks: list[str] = field(default_factory=list)
    #: the wave (index) that passed in this step, if one did
    passed: int | None = None

    @property
    def halted(self) -> bool:
        return self.state is RolloutState.HALTED


def observe(member: Member, plan: Plan, now: datetime) -> tuple[MemberState, str]:
    """A member's state after what it reported and the time that passed."""
    state, reason = member.state, member.reason
    report = member.report
    if report is not None:
        seen = _FROM_REPORT[report.state]
        if seen is MemberState.HEALTHY and member.running != plan.version:
            seen = MemberState.SWITCHING  # healthy counts once it has birthed with it
        if _RANK[seen] > _RANK[state] and _may_move(state, seen):
            state, reason = seen, report.reason
    if state in DONE or plan.state not in ACTIVE:
        return state, reason
    started = member.ordered_at or plan.wave_started_at
    if member.ordered_at is None and plan.state is RolloutState.PAUSED:
        return state, reason  # nobody ordered it yet: a pause stops its clock
    if now >= started + timedelta(seconds=plan.health_window_s):
        return MemberState.TIMED_OUT, "health_timeout" if member.ordered_at else "offline"
    return state, reason


def _may_move(old: MemberState, new: MemberState) -> bool:
    """Done is done, except that a switched or timed-out member may still be rolled back or
    fail (the wave's verdict does not change; the record does)."""
    if old not in DONE:
        return True
    return new in (MemberState.ROLLED_BACK, MemberState.FAILED) and old is not new


def step(plan: Plan, members: Sequence[Member], now: datetime) -> Step:
    """Decide one round of the gate for the current wave's ``members``."""
    out = Step(plan.state, plan.wave, plan.wave_started_at)
    states: dict[str, MemberState] = {}
    for m in members:
        state, reason = observe(m, plan, now)
        states[m.device_id] = state
        if (state, reason) != (m.state, m.reason):
            out.changed[m.device_id] = (state, reason)
    if plan.state in ACTIVE:
        _gate(plan, members, states, now, out)
    if out.state is RolloutState.HALTED:
        out.rollbacks = [m.device_id for m in members if _needs_rollback(m, states, plan)]
    return out


def _gate(
    plan: Plan,
    members: Sequence[Member],
    states: dict[str, MemberState],
    now: datetime,
    out: Step,
) -> None:
    failed = sorted(d for d, s in states.items() if s in FAILURES)
    if len(failed) > plan.max_failures:
        out.state = RolloutState.HALTED
        more = " …" if len(failed) > 5 else ""
        out.reason = (
            f"wave {plan.wave}: {len(failed)} of {len(members)} devices failed, more than the "
            f"{plan.max_failures} allowed ({', '.join(failed[:5])}{more})"
        )
        return
    if plan.state is RolloutState.PAUSED:
        return
    if all(s in DONE for s in states.values()):
        out.passed = plan.wave
        if plan.wave + 1 >= plan.waves:
            out.state = RolloutState.COMPLETED
            out.reason = f"all {plan.waves} waves passed"
        else:
            out.wave, out.wave_started_at = plan.wave + 1, now
        return
    for m in members:
        state = states[m.device_id]
        if not m.online:
            continue
        if state is MemberState.PENDING:
            out.orders.append(m.device_id)
            out.changed[m.device_id] = (MemberState.ORDERED, "")
        elif state is MemberState.ORDERED and _resend_due(m, plan, now):
            out.orders.append(m.device_id)


def _resend_due(member: Member, plan: Plan, now: datetime) -> bool:
    """An order unanswered for a while is sent again (lost, or sent just before a crash)."""
    last = member.sent_at or member.ordered_at
    return last is None or now >= last + timedelta(seconds=plan.resend_after_s)


def _needs_rollback(member: Member, states: dict[str, MemberState], plan: Plan) -> bool:
    if member.rollback_sent or not member.from_version or member.from_version == plan.version:
        return False
    state = states[member.device_id]
    if state in (MemberState.ROLLED_BACK, MemberState.FAILED):
        return False
    return state in SWITCHED or member.running == plan.version


def wave_counts(states: Iterable[MemberState]) -> dict[str, int]:
    """``devices``, ``healthy``, ``failed`` (failed or timed out) and ``rolled_back``."""
    counts = {"devices": 0, "healthy": 0, "failed": 0, "rolled_back": 0}
    for s in states:
        counts["devices"] += 1
        if s is MemberState.HEALTHY:
            counts["healthy"] += 1
        elif s in (MemberState.FAILED, MemberState.TIMED_OUT):
            counts["failed"] += 1
        elif s is MemberState.ROLLED_BACK:
            counts["rolled_back"] += 1
    return counts


def wave_states(state: RolloutState, current: int, waves: int) -> list[WaveState]:
    """Each wave's state from the rollout's state and its current wave."""
    out = []
    for index in range(waves):
        if index < current:
            out.append(WaveState.PASSED)
        elif index > current:
            out.append(WaveState.WAITING if state in ACTIVE else WaveState.STOPPED)
        elif state is RolloutState.COMPLETED:
            out.append(WaveState.PASSED)
        elif state is RolloutState.HALTED:
            out.append(WaveState.HALTED)
        elif state is RolloutState.ABORTED:
            out.append(WaveState.STOPPED)
        else:
            out.append(WaveState.RUNNING)
    return out
