"""The rollout gate's decisions (``fleet.rollouts``): wave membership, the gate, halt and
rollback, over random fleets and reports, and a whole rollout driven round by round over
simulated devices that answer their orders well or badly."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.access import in_scope
from fleet.alert_conditions import Facts, HaltedRollout, findings
from fleet.alert_rules import RuleError, RuleKind, RuleSpec, Scope, parse_params
from fleet.rollouts import (
    ACTIVE,
    DONE,
    FAILURES,
    Candidate,
    Member,
    MemberState,
    Plan,
    Report,
    RolloutRefused,
    RolloutState,
    WaveSpec,
    assign,
    check_waves,
    default_waves,
    furthest,
    initial_state,
    observe,
    step,
    wave_counts,
)
from protocols.upgrade import UpgradeState

FAST = settings(max_examples=100, deadline=None)
T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
NEW, OLD = "2.0.0", "1.0.0"
SITES = ["qh/a", "qh/a/x", "qh/a/y", "qh/b", "qh/b/z", "qh"]
ROLES = ["kiosk", "window", "hall_screen"]

candidates = st.lists(
    st.builds(
        Candidate,
        device_id=st.integers(0, 40).map(lambda i: f"d{i}"),
        site_path=st.sampled_from(SITES),
        role=st.sampled_from(ROLES),
        running=st.sampled_from([OLD, NEW, ""]),
    ),
    max_size=30,
    unique_by=lambda c: c.device_id,
)
waves = st.lists(
    st.builds(
        WaveSpec,
        sites=st.lists(st.sampled_from(SITES), min_size=1, max_size=3).map(tuple),
        max_devices=st.none() | st.integers(1, 5),
    ),
    min_size=1,
    max_size=5,
)
reports = st.none() | st.builds(Report, state=st.sampled_from(UpgradeState), reason=st.just("x"))
members = st.lists(
    st.builds(
        Member,
        device_id=st.integers(0, 40).map(lambda i: f"d{i}"),
        state=st.sampled_from(MemberState),
        from_version=st.sampled_from([OLD, NEW, ""]),
        ordered_at=st.none() | st.just(T0),
        sent_at=st.none() | st.just(T0),
        rollback_sent=st.booleans(),
        online=st.booleans(),
        running=st.sampled_from([OLD, NEW]),
        report=reports,
    ),
    max_size=12,
    unique_by=lambda m: m.device_id,
)
plans = st.builds(
    Plan,
    version=st.just(NEW),
    state=st.sampled_from(RolloutState),
    wave=st.integers(0, 2),
    waves=st.just(3),
    wave_started_at=st.just(T0),
    health_window_s=st.sampled_from([10, 300]),
    max_failures=st.integers(0, 3),
    resend_after_s=st.just(60.0),
)
later = st.integers(0, 400).map(lambda s: T0 + timedelta(seconds=s))


@FAST
@given(candidates, waves, st.none() | st.frozensets(st.sampled_from(ROLES), min_size=1))
def test_each_device_is_in_at_most_one_wave_of_its_subtree_and_roles(
    devices: list[Candidate], specs: list[WaveSpec], roles: frozenset[str] | None
) -> None:
    out = assign(specs, devices, roles)
    assert len(out) == len(specs)
    seen = [d.device_id for wave in out for d in wave]
    assert len(seen) == len(set(seen))
    for spec, wave in zip(specs, out, strict=True):
        assert spec.max_devices is None or len(wave) <= spec.max_devices
        for d in wave:
            assert any(in_scope(s, d.site_path) for s in spec.sites)
            assert roles is None or d.role in roles


@FAST
@given(candidates)
def test_default_waves_cover_the_whole_subtree(devices: list[Candidate]) -> None:
    out = assign(default_waves("qh", ["qh/b", "qh/a"]), devices, None)
    assert [d.device_id for d in out[0]] == [
        d.device_id
        for d in sorted(devices, key=lambda d: (d.site_path, d.device_id))
        if in_scope("qh/a", d.site_path)
    ]
    assert sorted(d.device_id for wave in out for d in wave) == sorted(d.device_id for d in devices)


def test_a_wave_outside_the_subtree_is_refused_by_name() -> None:
    with pytest.raises(RolloutRefused, match=r"qh/b.*outside the rollout's subtree qh/a"):
        check_waves("qh/a", [WaveSpec(("qh/a/x",)), WaveSpec(("qh/b",))])
    check_waves("qh/a", [WaveSpec(("qh/a",)), WaveSpec(("qh/a/x", "qh/a/y"))])


def test_a_device_already_on_the_version_counts_as_healthy() -> None:
    assert initial_state(NEW, NEW) is MemberState.HEALTHY
    assert initial_state(OLD, NEW) is MemberState.PENDING


@FAST
@given(plans, members, later)
def test_what_the_gate_sends(plan: Plan, wave: list[Member], now: datetime) -> None:
    out = step(plan, wave, now)
    by_id = {m.device_id: m for m in wave}
    for device_id in out.orders:  # only online devices of a running rollout are ordered
        assert plan.state is RolloutState.RUNNING and out.state is RolloutState.RUNNING
        assert by_id[device_id].online
    if out.rollbacks:  # only a halt orders back, each device once, to where it came from
        assert out.state is RolloutState.HALTED
    for device_id in out.rollbacks:
        m = by_id[device_id]
        assert not m.rollback_sent and m.from_version not in ("", NEW)
    if plan.state not in ACTIVE:  # an ended rollout only records what devices say
        assert out.state is plan.state and out.wave == plan.wave and not out.orders


@FAST
@given(plans, members, later)
def test_a_wave_halts_exactly_when_too_many_fail(
    plan: Plan, wave: list[Member], now: datetime
) -> None:
    out = step(plan, wave, now)
    final = {m.device_id: out.changed.get(m.device_id, (m.state, ""))[0] for m in wave}
    final = {
        d: (MemberState.PENDING if s is MemberState.ORDERED and d in out.orders else s)
        for d, s in final.items()
    }
    failures = sum(1 for s in final.values() if s in FAILURES)
    if plan.state in ACTIVE:
        assert (out.state is RolloutState.HALTED) == (failures > plan.max_failures)
    if out.passed is not None:  # a wave passes only when every device is done, and well
        assert plan.state is RolloutState.RUNNING
        assert all(s in DONE for s in final.values()) and failures <= plan.max_failures
        assert out.wave == plan.wave + 1 or out.state is RolloutState.COMPLETED


@FAST
@given(plans, members, later)
def test_healthy_needs_the_report_and_the_birth(
    plan: Plan, wave: list[Member], now: datetime
) -> None:
    for m in wave:
        state, _ = observe(m, plan, now)
        if state is MemberState.HEALTHY and m.state is not MemberState.HEALTHY:
            assert m.report is not None and m.report.state is UpgradeState.HEALTHY
            assert m.running == NEW
        if m.state in DONE:  # done stays done, but for a later rollback or failure
            assert state in DONE


@FAST
@given(st.lists(st.sampled_from(UpgradeState), max_size=8), st.randoms())
def test_the_furthest_report_does_not_depend_on_arrival_order(
    states: list[UpgradeState], rnd: object
) -> None:
    got = [Report(s) for s in states]
    shuffled = list(got)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    first, second = furthest(got), furthest(shuffled)
    assert (first and first.state) == (second and second.state)


def test_an_offline_device_is_not_ordered_and_times_out_on_the_wave_clock() -> None:
    plan = Plan(NEW, RolloutState.RUNNING, 0, 2, T0, 300, 0)
    offline = Member("k1", MemberState.PENDING, OLD, online=False, running=OLD)
    early = step(plan, [offline], T0 + timedelta(seconds=299))
    assert early.orders == [] and early.state is RolloutState.RUNNING
    late = step(plan, [offline], T0 + timedelta(seconds=300))
    assert late.changed == {"k1": (MemberState.TIMED_OUT, "offline")}
    assert late.halted and late.rollbacks == []  # it never switched: nothing to undo
    paused = step(replace(plan, state=RolloutState.PAUSED), [offline], T0 + timedelta(days=1))
    assert not paused.changed and paused.state is RolloutState.PAUSED


def test_an_unanswered_order_is_sent_again() -> None:
    plan = Plan(NEW, RolloutState.RUNNING, 0, 1, T0, 300, 0, resend_after_s=60)
    ordered = Member("k1", MemberState.ORDERED, OLD, ordered_at=T0, sent_at=T0, online=True)
    assert step(plan, [ordered], T0 + timedelta(seconds=59)).orders == []
    assert step(plan, [ordered], T0 + timedelta(seconds=60)).orders == ["k1"]


def test_wave_counts() -> None:
    states = [
        MemberState.HEALTHY,
        MemberState.TIMED_OUT,
        MemberState.FAILED,
        MemberState.ROLLED_BACK,
        MemberState.ORDERED,
    ]
    assert wave_counts(states) == {"devices": 5, "healthy": 1, "failed": 2, "rolled_back": 1}


# -- a whole rollout, round by round, over simulated devices ----------------------------------


class SimDevice:
    """Answers an order one round later: a good one births with the new version and reports
    healthy; a bad one switches, then rolls itself back. An ordered rollback takes it back."""

    def __init__(self, device_id: str, good: bool, online: bool) -> None:
        self.device_id, self.good, self.online = device_id, good, online
        self.running: str = OLD
        self.report: Report | None = None
        self.ordered = self.rolled_back = False

    def play(self) -> None:
        if self.rolled_back:
            self.running, self.report = OLD, Report(UpgradeState.ROLLED_BACK, "ordered")
        elif self.ordered and self.report is None:
            self.report = Report(UpgradeState.SWITCHING)
            self.running = NEW
        elif self.report is not None and self.report.state is UpgradeState.SWITCHING:
            if self.good:
                self.report = Report(UpgradeState.HEALTHY)
            else:
                self.running, self.report = OLD, Report(UpgradeState.ROLLED_BACK, "crashed")


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=12),
    st.integers(1, 4),
    st.integers(0, 2),
)
def test_a_rollout_completes_or_halts_and_leaves_nobody_on_a_bad_wave(
    fleet: list[tuple[bool, bool]], n_waves: int, max_failures: int
) -> None:
    """``fleet``: (good, online) per device; devices are dealt round-robin into waves."""
    sims = [SimDevice(f"d{i}", good, online) for i, (good, online) in enumerate(fleet)]
    wave_of = {s.device_id: i % n_waves for i, s in enumerate(sims)}
    stored = {s.device_id: Member(s.device_id, MemberState.PENDING, OLD) for s in sims}
    plan = Plan(NEW, RolloutState.RUNNING, 0, n_waves, T0, 60, max_failures)
    now = T0
    for _ in range(400):
        if plan.state not in ACTIVE and plan.state is not RolloutState.HALTED:
            break
        now += timedelta(seconds=5)
        for s in sims:
            s.play()
        wave = [
            replace(stored[s.device_id], online=s.online, running=s.running, report=s.report)
            for s in sims
            if wave_of[s.device_id] == plan.wave
        ]
        out = step(plan, wave, now)
        for device_id, (state, reason) in out.changed.items():
            stored[device_id] = replace(stored[device_id], state=state, reason=reason)
        for device_id in out.orders:
            stored[device_id] = replace(stored[device_id], ordered_at=now, sent_at=now)
            next(s for s in sims if s.device_id == device_id).ordered = True
        for device_id in out.rollbacks:
            stored[device_id] = replace(stored[device_id], rollback_sent=True)
            next(s for s in sims if s.device_id == device_id).rolled_back = True
        plan = replace(plan, state=out.state, wave=out.wave, wave_started_at=out.wave_started_at)
    first_bad_wave = next(
        (
            w
            for w in range(n_waves)
            if sum(1 for s in sims if wave_of[s.device_id] == w and not (s.good and s.online))
            > max_failures
        ),
        None,
    )
    if first_bad_wave is None:
        assert plan.state is RolloutState.COMPLETED
        assert all(s.running == NEW for s in sims if s.good and s.online)
    else:
        assert plan.state is RolloutState.HALTED and plan.wave == first_bad_wave
        for s in sims:
            if wave_of[s.device_id] == first_bad_wave:  # the halted wave is back where it was
                assert s.running == OLD
            elif wave_of[s.device_id] > first_bad_wave:  # later waves were never ordered
                assert not s.ordered


def test_a_rollout_halted_rule_holds_in_its_subtree_for_its_time() -> None:
    halted = HaltedRollout("ro-1", "qh/a/x", NEW, "wave 0: 1 of 1 devices failed", T0)
    facts = Facts(rollouts=[halted])

    def rule(site: str) -> RuleSpec:
        params = parse_params("rollout_halted", {"within_s": 3600})
        return RuleSpec(1, "r", RuleKind.ROLLOUT_HALTED, params, scope=Scope(site))

    [found] = findings(rule("qh/a"), facts, T0 + timedelta(seconds=3600)).values()
    assert (found.subject, found.site) == ("rollout:ro-1", "qh/a/x")
    assert NEW in found.summary and "wave 0" in found.summary
    assert findings(rule("qh/b"), facts, T0) == {}  # another subtree
    assert findings(rule(""), facts, T0 + timedelta(seconds=3601)) == {}  # long ago
    with pytest.raises(RuleError, match="within_s"):
        parse_params("rollout_halted", {"within_s": 1})
