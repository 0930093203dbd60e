"""Properties of routing, the health ranking, failover and the target refusals (``fleet``)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.failover import FailoverPolicy, StrandedJob
from fleet.jobs import TRANSITIONS
from fleet.peripherals import HEALTH_RANK, PeripheralState, capability_health, has_capability
from fleet.routing import Candidate, choose_device, device_target_refusal, site_target_refusal
from protocols.jobs import CAPABILITY_FOR_KIND, JobKind, JobState
from protocols.messages import Health

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
CAPABILITIES = sorted({str(c) for c in CAPABILITY_FOR_KIND.values()})
FAST = settings(max_examples=150, deadline=None, derandomize=False)

healths = st.sampled_from(Health)
capabilities = st.sampled_from(CAPABILITIES)
peripherals = st.builds(
    PeripheralState,
    id=st.sampled_from(["p1", "p2", "p3"]),
    kind=st.sampled_from(["receipt_printer", "a4_printer", "camera"]),
    capabilities=st.lists(capabilities, max_size=3, unique=True).map(tuple),
    health=healths,
)
devices = st.lists(peripherals, max_size=4)
candidates = st.lists(
    st.builds(
        Candidate,
        device_id=st.sampled_from(["k1", "k10", "k9", "ab", "ba", "b0", "a1", "z"]),
        online=st.booleans(),
        capability_health=st.none() | healths,
        active_jobs=st.integers(0, 3),
    ),
    max_size=8,
    unique_by=lambda c: c.device_id,
)


def usable(c: Candidate) -> bool:
    return c.online and c.capability_health not in (None, Health.OFFLINE)


# -- the health ranking ------------------------------------------------------------------------


def test_the_health_ranking_is_one_total_order_over_every_health() -> None:
    assert set(HEALTH_RANK) == set(Health)
    assert len(set(HEALTH_RANK.values())) == len(Health)  # no two healths tie
    assert max(HEALTH_RANK, key=HEALTH_RANK.__getitem__) is Health.OFFLINE
    assert min(HEALTH_RANK, key=HEALTH_RANK.__getitem__) is Health.OK


@FAST
@given(ps=devices, capability=capabilities, order=st.randoms(use_true_random=False))
def test_capability_health_is_the_best_ranked_offering_peripheral(
    ps: list[PeripheralState], capability: str, order: random.Random
) -> None:
    offering = [p.health for p in ps if capability in p.capabilities]
    best = capability_health(ps, capability)
    if not offering:
        assert best is None and not has_capability(ps, capability)
        return
    assert best is min(offering, key=HEALTH_RANK.__getitem__)
    assert has_capability(ps, capability)
    shuffled = list(ps)
    order.shuffle(shuffled)
    assert capability_health(shuffled, capability) is best


# -- choosing a device -----------------------------------------------------------------------


@FAST
@given(cands=candidates, order=st.randoms(use_true_random=False))
def test_choose_device_picks_healthy_then_least_busy_then_by_id(
    cands: list[Candidate], order: random.Random
) -> None:
    chosen = choose_device(cands)
    fit = [c for c in cands if usable(c)]
    if not fit:
        assert chosen is None
        return
    assert chosen is not None and chosen in fit  # never offline, never an offline peripheral
    assert chosen.capability_health is not None
    best_rank = min(HEALTH_RANK[c.capability_health or Health.UNKNOWN] for c in fit)
    assert HEALTH_RANK[chosen.capability_health] == best_rank
    same_health = [c for c in fit if c.capability_health is chosen.capability_health]
    assert chosen.active_jobs == min(c.active_jobs for c in same_health)
    ties = [c for c in same_health if c.active_jobs == chosen.active_jobs]
    assert chosen.device_id == min(c.device_id for c in ties)
    shuffled = list(cands)
    order.shuffle(shuffled)
    assert choose_device(shuffled) == chosen  # the input's order never matters
    assert choose_device(iter(cands)) == chosen  # any iterable, consumed once


@FAST
@given(
    fleet=st.lists(st.tuples(st.booleans(), devices), max_size=5),
    capability=capabilities,
)
def test_a_device_whose_capable_peripherals_are_all_offline_is_never_chosen(
    fleet: list[tuple[bool, list[PeripheralState]]], capability: str
) -> None:
    """End to end as the cloud routes: peripherals → capability health → candidate."""
    cands = [
        Candidate(f"k{i}", online, capability_health(ps, capability), active_jobs=0)
        for i, (online, ps) in enumerate(fleet)
    ]
    chosen = choose_device(cands)
    if chosen is None:
        return
    online, ps = fleet[int(chosen.device_id[1:])]
    assert online
    assert any(capability in p.capabilities and p.health is not Health.OFFLINE for p in ps)


# -- failover --------------------------------------------------------------------------------

policies = st.builds(
    FailoverPolicy,
    grace_s=st.sampled_from([0.0, 1.0, 60.0, 120.0]),
    margin_s=st.sampled_from([0.0, 30.0, 90.0]),
)
#: seconds around a boundary: on it, just either side of it, or anywhere
AROUND = st.sampled_from([0, 0, -1, 1]) | st.integers(-400, 400)


@st.composite
def stranded(draw: st.DrawFn) -> tuple[FailoverPolicy, StrandedJob]:
    """A policy and a job that is mostly one fact away from being moved (so every condition
    and every boundary is judged often)."""
    policy = draw(policies)
    cutoff = policy.cutoff(NOW)
    job = StrandedJob(
        state=draw(st.sampled_from([*JobState] + [JobState.DISPATCHED] * 8)),
        site_target=draw(st.sampled_from([True, True, False])),
        device_online=draw(st.sampled_from([False, False, True])),
        sent_at=draw(st.none() | AROUND.map(lambda s: cutoff + timedelta(seconds=s))),
        expires_at=NOW + timedelta(seconds=draw(AROUND)),
        cancel_requested=draw(st.booleans()),
    )
    return policy, job


@settings(max_examples=400, deadline=None, derandomize=False)
@given(case=stranded())
def test_failover_moves_exactly_the_unconfirmed_site_jobs_of_offline_devices(
    case: tuple[FailoverPolicy, StrandedJob],
) -> None:
    policy, job = case
    expected = (
        policy.grace_s > 0
        and job.state is JobState.DISPATCHED  # never accepted/running: the device has it
        and job.site_target  # never a job aimed at one device
        and not job.device_online
        and job.sent_at is not None
        and (NOW - job.sent_at).total_seconds() >= policy.grace_s + policy.margin_s
        and job.expires_at > NOW
    )
    assert policy.may_move(job, NOW) is expected
    outcome = FailoverPolicy.outcome(job)
    assert outcome is (JobState.CANCELED if job.cancel_requested else JobState.QUEUED)
    if expected:
        assert outcome in TRANSITIONS[job.state]


@FAST
@given(state=st.sampled_from(JobState), site_target=st.booleans(), cancel=st.booleans())
def test_failover_never_moves_a_job_a_device_took_or_one_aimed_at_a_device(
    state: JobState, site_target: bool, cancel: bool
) -> None:
    """Everything else as movable as can be; only the state and the target vary."""
    policy = FailoverPolicy(grace_s=60, margin_s=30)
    job = StrandedJob(
        state=state,
        site_target=site_target,
        device_online=False,
        sent_at=NOW - timedelta(days=1),
        expires_at=NOW + timedelta(days=1),
        cancel_requested=cancel,
    )
    assert policy.may_move(job, NOW) == (state is JobState.DISPATCHED and site_target)


@FAST
@given(case=stranded(), later_s=st.integers(0, 1000))
def test_failover_once_due_stays_due_until_the_job_expires(
    case: tuple[FailoverPolicy, StrandedJob], later_s: int
) -> None:
    policy, job = case
    later = NOW + timedelta(seconds=later_s)
    if policy.may_move(job, NOW) and job.expires_at > later:
        assert policy.may_move(job, later)


@FAST
@given(
    policy=policies,
    up_for_s=st.none()
    | st.sampled_from([0.0, 1.0, 29.9, 30.0, 89.9, 90.0])
    | st.floats(0, 500, allow_nan=False),
    backlog=st.integers(0, 3),
)
def test_failover_waits_for_the_connection_and_its_backlog(
    policy: FailoverPolicy, up_for_s: float | None, backlog: int
) -> None:
    ready = policy.connection_ready(up_for_s, backlog)
    assert ready == (
        policy.grace_s > 0 and up_for_s is not None and up_for_s >= policy.margin_s and not backlog
    )


# -- target refusals -------------------------------------------------------------------------


@FAST
@given(ps=devices, kind=st.sampled_from(JobKind))
def test_a_device_target_is_refused_exactly_when_no_peripheral_has_the_capability(
    ps: list[PeripheralState], kind: JobKind
) -> None:
    capability = str(CAPABILITY_FOR_KIND[kind])
    why = device_target_refusal("k1", ps, capability, kind.value)
    offered = any(capability in p.capabilities for p in ps)  # offline counts: it may recover
    assert (why is None) == offered
    if why is not None:
        assert "k1" in why and capability in why and kind.value in why


@FAST
@given(site_devices=st.lists(devices, max_size=4), kind=st.sampled_from(JobKind))
def test_a_site_target_is_refused_exactly_when_no_device_of_it_could_run_the_job(
    site_devices: list[list[PeripheralState]], kind: JobKind
) -> None:
    capability = str(CAPABILITY_FOR_KIND[kind])
    why = site_target_refusal("qh/xn", site_devices, capability, kind.value)
    some_device_could = any(
        device_target_refusal(f"k{i}", ps, capability, kind.value) is None
        for i, ps in enumerate(site_devices)
    )
    assert (why is None) == some_device_could
    if why is not None:
        assert "qh/xn" in why and capability in why and kind.value in why
    # a generator is read once, like a database cursor
    assert site_target_refusal("qh/xn", iter(site_devices), capability, kind.value) == why
