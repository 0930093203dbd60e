"""fleet: cancel, failover, peripherals/health ranking, target refusals, transitions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fleet.cancel import CancelAction, decide_cancel
from fleet.errors import IllegalTransition
from fleet.failover import FailoverPolicy, StrandedJob
from fleet.jobs import MESSAGE_MAX, REASON_MAX, plan_transition
from fleet.peripherals import HEALTH_RANK, PeripheralState, capability_health, parse_all
from fleet.presence import (
    UNKNOWN,
    Presence,
    PresenceIgnored,
    is_ended_session,
    on_birth,
    why_state_ignored,
)
from fleet.routing import device_target_refusal, site_target_refusal
from protocols.jobs import JobState
from protocols.messages import Health, PeripheralInfo

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "device", "action"),
    [
        (JobState.QUEUED, None, CancelAction.NOW),
        (JobState.UNCERTAIN, "k1", CancelAction.NOW),
        (JobState.DISPATCHED, "k1", CancelAction.ASK_DEVICE),
        (JobState.ACCEPTED, "k1", CancelAction.ASK_DEVICE),
        (JobState.RUNNING, "k1", CancelAction.REFUSE),
        (JobState.SUCCEEDED, "k1", CancelAction.REFUSE),
        (JobState.FAILED, None, CancelAction.REFUSE),
        (JobState.CANCELED, None, CancelAction.REFUSE),
        (JobState.EXPIRED, None, CancelAction.REFUSE),
    ],
)
def test_cancel(state: JobState, device: str | None, action: CancelAction) -> None:
    decision = decide_cancel("j1", state, device)
    assert decision.action is action
    assert bool(decision.why) == (action is CancelAction.REFUSE)


def test_cancel_refusals_say_why() -> None:
    assert "side effect has started" in decide_cancel("j", JobState.RUNNING, "k").why
    assert "already succeeded" in decide_cancel("j", JobState.SUCCEEDED, "k").why


def stranded(**kw: object) -> StrandedJob:
    base: dict[str, object] = {
        "state": JobState.DISPATCHED,
        "site_target": True,
        "device_online": False,
        "sent_at": NOW - timedelta(seconds=100),
        "expires_at": NOW + timedelta(seconds=100),
    }
    return StrandedJob(**(base | kw))  # type: ignore[arg-type]


def test_failover_moves_only_unconfirmed_site_jobs_of_offline_devices() -> None:
    policy = FailoverPolicy(grace_s=60, margin_s=30)
    assert policy.may_move(stranded(), NOW)
    assert not policy.may_move(stranded(sent_at=NOW - timedelta(seconds=89)), NOW)
    assert policy.may_move(stranded(sent_at=NOW - timedelta(seconds=90)), NOW)
    assert not policy.may_move(stranded(sent_at=None), NOW)
    assert not policy.may_move(stranded(device_online=True), NOW)
    assert not policy.may_move(stranded(site_target=False), NOW)
    assert not policy.may_move(stranded(state=JobState.ACCEPTED), NOW)
    assert not policy.may_move(stranded(expires_at=NOW), NOW)
    assert not FailoverPolicy(grace_s=0, margin_s=30).may_move(stranded(), NOW)


def test_failover_needs_the_connection_up_and_drained_for_the_margin() -> None:
    policy = FailoverPolicy(grace_s=60, margin_s=30)
    assert policy.connection_ready(30.0, 0)
    assert not policy.connection_ready(29.9, 0)
    assert not policy.connection_ready(None, 0)
    assert not policy.connection_ready(100.0, 1)
    assert not FailoverPolicy(grace_s=0, margin_s=0).connection_ready(100.0, 0)


def test_failover_cancels_a_job_whose_cancel_is_pending() -> None:
    assert FailoverPolicy.outcome(stranded()) is JobState.QUEUED
    assert FailoverPolicy.outcome(stranded(cancel_requested=True)) is JobState.CANCELED


def test_birth_of_an_ended_session_does_not_bring_a_device_back() -> None:
    ended = Presence(online=False, bd_seq=4)
    assert is_ended_session(ended, 4)
    assert on_birth(ended, 4) is None
    assert on_birth(ended, 5) == Presence(online=True, bd_seq=5)
    assert on_birth(Presence(online=True, bd_seq=4), 4) == Presence(online=True, bd_seq=4)
    assert on_birth(UNKNOWN, 4) == Presence(online=True, bd_seq=4)


def periph(pid: str, health: Health, *caps: str) -> PeripheralState:
    return PeripheralState(pid, "receipt_printer", capabilities=caps, health=health)


def test_health_ranking_is_one_order() -> None:
    assert sorted(Health, key=HEALTH_RANK.__getitem__) == [
        Health.OK,
        Health.DEGRADED,
        Health.UNKNOWN,
        Health.OFFLINE,
    ]
    ps = [periph("a", Health.OFFLINE, "receipt"), periph("b", Health.DEGRADED, "receipt")]
    assert capability_health(ps, "receipt") is Health.DEGRADED
    assert capability_health(ps[:1], "receipt") is Health.OFFLINE
    assert capability_health(ps, "scan") is None


def test_peripheral_state_round_trips_and_tolerates_bad_health() -> None:
    info = PeripheralInfo(id="rp1", kind="receipt_printer", capabilities=["receipt"])
    p = PeripheralState.announced(info, "2026-01-01T00:00:00+00:00")
    assert PeripheralState.from_json(p.to_json()) == p
    assert parse_all([{"id": "x", "health": "on fire"}])[0].health is Health.UNKNOWN
    q = p.with_health(Health.OFFLINE, "paper_out", "later")
    assert (q.health, q.reason, q.updated_at, q.id) == (Health.OFFLINE, "paper_out", "later", "rp1")


def test_target_refusals_name_the_capability() -> None:
    printer = [periph("rp1", Health.OFFLINE, "receipt")]
    assert device_target_refusal("k1", printer, "receipt", "print_receipt") is None
    why = device_target_refusal("k1", printer, "scan", "scan")
    assert why is not None and "capability scan" in why and "k1" in why
    assert site_target_refusal("qh/a", [[], printer], "receipt", "print_receipt") is None
    why = site_target_refusal("qh/a", [[], printer], "scan", "scan")
    assert why is not None and "capability scan" in why and "qh/a" in why
    assert site_target_refusal("qh/a", [], "receipt", "print_receipt") is not None


def test_every_transition_is_checked_and_its_texts_bounded() -> None:
    t = plan_transition(JobState.QUEUED, JobState.DISPATCHED, "r" * 100, "m" * 2000)
    assert (t.from_state, t.to_state) == (JobState.QUEUED, JobState.DISPATCHED)
    assert len(t.reason) == REASON_MAX and len(t.message) == MESSAGE_MAX
    with pytest.raises(IllegalTransition):
        plan_transition(JobState.SUCCEEDED, JobState.QUEUED, "", "")


def test_why_a_state_is_ignored() -> None:
    current = Presence(online=True, bd_seq=2)
    assert why_state_ignored(current, 2) is PresenceIgnored.STATE_UNCHANGED
    assert why_state_ignored(current, 1) is PresenceIgnored.STALE_SESSION
