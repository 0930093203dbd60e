"""Presence with bdSeq, routing choice and the site tree."""

from __future__ import annotations

import pytest

from fleet.errors import SiteTreeError
from fleet.presence import UNKNOWN, Presence, changes_presence, on_birth, on_state
from fleet.routing import Candidate, choose_device
from fleet.sites import PILOT_TREE, SiteLevel, check_child, child_path
from protocols.messages import Health


def test_late_will_of_old_session_is_ignored() -> None:
    p = on_birth(UNKNOWN, 1)
    p = on_birth(p, 2)  # reconnected before the broker noticed session 1 died
    late = on_state(p, online=False, bd_seq=1)  # session 1's will arrives late
    assert late is not None and not changes_presence(p, late)  # only remembered
    assert (late.online, late.bd_seq, late.ended_bd_seq) == (True, 2, 1)
    assert on_state(late, online=False, bd_seq=1) is None  # the same will again: nothing
    assert on_state(late, online=False, bd_seq=2) == Presence(online=False, bd_seq=2)


def test_a_birth_whose_will_came_first_stays_offline() -> None:
    p = on_birth(UNKNOWN, 0)  # the cloud missed session 0's end while it was away
    assert p is not None
    # session 1 started and stopped; the retained offline state arrives before its birth
    p = on_state(p, online=False, bd_seq=1)
    assert p is not None and p.online and p.ended_bd_seq == 1
    after = on_birth(p, 1)
    assert after == Presence(online=False, bd_seq=1)
    fresh = on_birth(after, 2)  # the device comes back with a new session
    assert fresh is not None and fresh.online and fresh.bd_seq == 2


def test_state_before_birth() -> None:
    assert on_state(UNKNOWN, online=True, bd_seq=3) is None
    assert on_state(UNKNOWN, online=False, bd_seq=3) == Presence(online=False, bd_seq=3)


def test_routing_prefers_healthy_then_idle() -> None:
    cands = [
        Candidate("a", online=True, capability_health=Health.DEGRADED, active_jobs=0),
        Candidate("b", online=True, capability_health=Health.OK, active_jobs=2),
        Candidate("c", online=True, capability_health=Health.OK, active_jobs=1),
        Candidate("d", online=False, capability_health=Health.OK, active_jobs=0),
        Candidate("e", online=True, capability_health=Health.OFFLINE, active_jobs=0),
        Candidate("f", online=True, capability_health=None, active_jobs=0),
    ]
    chosen = choose_device(cands)
    assert chosen is not None and chosen.device_id == "c"
    assert choose_device(cands[3:]) is None


def test_site_levels() -> None:
    check_child(SiteLevel.CITY, SiteLevel.VILLAGE)  # a skipped level is allowed
    with pytest.raises(SiteTreeError, match="cannot sit under"):
        check_child(SiteLevel.TOWN, SiteLevel.CITY)
    assert child_path("qh/hx", "golmud") == "qh/hx/golmud"
    with pytest.raises(SiteTreeError, match="invalid"):
        child_path("qh", "格尔木")
    with pytest.raises(SiteTreeError, match="deeper"):
        child_path("a/b/c/d/e", "f")


def test_pilot_tree() -> None:
    city = PILOT_TREE.children[0].children[0]
    assert city.name == "格尔木市"
    assert [s.name for s in city.children] == [
        "黄河路街道办事处",
        "唐古拉山镇便民服务中心",
        "八一社区便民服务点",
    ]
