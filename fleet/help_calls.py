"""Remote-help calls (issue 16): the call's states and who rings next, I/O-free.

A citizen's call is ``waiting`` (nobody free to ring) or ``ringing`` (one operator's console
rings; every operator on duty in scope sees it in the queue and may take it). It becomes
``active`` when one operator accepts (a second accept is refused: one operator per call),
then ``ended``. A call nobody takes is ``missed`` — at once when nobody is on duty (unless the
settings say to wait), else after the wait limit; the citizen may ``cancel`` before an
answer. A ring that is not answered within the ring timeout moves to the next free operator
(the one idle longest who has not yet been rung for this call; when all have, round again).

``cloud/help/calls.py`` loads a call, asks these functions, and stores what they decide.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from fleet.errors import IllegalTransition

CallState = Literal["waiting", "ringing", "active", "ended", "missed", "cancelled"]
#: states a call leaves only by accept, cancel or the wait limit
UNANSWERED: frozenset[CallState] = frozenset({"waiting", "ringing"})
#: states a call never leaves
FINAL: frozenset[CallState] = frozenset({"ended", "missed", "cancelled"})
Outcome = Literal["solved", "referred", "dropped"]


@dataclass(frozen=True, slots=True)
class Timing:
    """The call centre's clocks (``cloud/settings_helpdesk.py``)."""

    #: how long one operator's console rings before the next one's does
    ring_timeout_s: float
    #: how long a citizen waits unanswered before the call is missed
    wait_limit_s: float
    #: nobody on duty when the call is made: missed at once (True) or after the wait limit
    missed_at_once_when_nobody_on_duty: bool
    #: how long an answered call survives its kiosk being offline (its link may come back)
    offline_grace_s: float = 30.0


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator on duty as ringing sees them."""

    operator: str
    #: whether the call's site is in the operator's scope
    sees_site: bool
    #: already in an active call (never rung while so)
    busy: bool
    #: when the operator last became free (went on duty or ended a call): longest idle first
    free_since: datetime


@dataclass(frozen=True, slots=True)
class Call:
    """What the decisions need of a call."""

    state: CallState
    created_at: datetime
    ringing_to: str | None = None
    ringing_since: datetime | None = None
    #: operators already rung for this call, in order
    rung: tuple[str, ...] = ()
    operator: str | None = None
    ended_reason: str = ""


def next_operator(call: Call, on_duty: Sequence[Operator]) -> str | None:
    """Whom to ring now: a free operator who sees the call's site, not yet rung for this
    call, idle longest; when every candidate was rung, the round starts again (the one rung
    longest ago first, never the one ringing now unless they are the only one)."""
    free = sorted((o for o in on_duty if o.sees_site and not o.busy), key=lambda o: o.free_since)
    if not free:
        return None
    fresh = [o.operator for o in free if o.operator not in call.rung]
    if fresh:
        return fresh[0]
    again = [o.operator for o in free if o.operator != call.ringing_to]
    order = {name: i for i, name in enumerate(call.rung)}
    again.sort(key=lambda name: order.get(name, -1))
    return again[0] if again else free[0].operator


def on_create(call: Call, on_duty: Sequence[Operator], timing: Timing, now: datetime) -> Call:
    """A new call: missed at once when nobody who sees its site is on duty (if so set),
    else ringing the next operator, or waiting when all are busy."""
    seeing = [o for o in on_duty if o.sees_site]
    if not seeing and timing.missed_at_once_when_nobody_on_duty:
        return replace(call, state="missed", ended_reason="nobody on duty")
    return ring(call, on_duty, now)


def ring(call: Call, on_duty: Sequence[Operator], now: datetime) -> Call:
    """(Re)choose whom an unanswered call rings; waiting when nobody is free."""
    if call.state not in UNANSWERED:
        raise IllegalTransition(f"a {call.state} call does not ring")
    target = next_operator(call, on_duty)
    if target is None:
        return replace(call, state="waiting", ringing_to=None, ringing_since=None)
    if target == call.ringing_to and call.state == "ringing":
        return replace(call, ringing_since=now)
    return replace(
        call,
        state="ringing",
        ringing_to=target,
        ringing_since=now,
        rung=(*call.rung, target) if target not in call.rung else call.rung,
    )


def tick(call: Call, on_duty: Sequence[Operator], timing: Timing, now: datetime) -> Call:
    """What time does to an unanswered call: missed past the wait limit (or at once with
    nobody on duty, if so set), rung on when the ring timed out or its operator left, a
    waiting call rung when someone became free. A call time leaves alone comes back as is."""
    if call.state not in UNANSWERED:
        return call
    if now - call.created_at >= timedelta(seconds=timing.wait_limit_s):
        return replace(call, state="missed", ringing_to=None, ended_reason="wait limit reached")
    if timing.missed_at_once_when_nobody_on_duty and not any(o.sees_site for o in on_duty):
        return replace(call, state="missed", ringing_to=None, ended_reason="nobody on duty")
    ringing_ok = call.ringing_to in {o.operator for o in on_duty if not o.busy}
    timed_out = call.ringing_since is not None and now - call.ringing_since >= timedelta(
        seconds=timing.ring_timeout_s
    )
    if call.state == "ringing" and ringing_ok and not timed_out:
        return call
    return ring(call, on_duty, now)


def accept(call: Call, operator: str) -> Call:
    """One operator takes the call; a call already taken (or over) is refused."""
    if call.state == "active" and call.operator == operator:
        return call  # the same operator's retry: nothing changes
    if call.state not in UNANSWERED:
        who = f" by {call.operator}" if call.operator else ""
        raise IllegalTransition(f"the call is already {call.state}{who}")
    return replace(call, state="active", operator=operator, ringing_to=None)


def end(call: Call, reason: str) -> Call:
    """An active call ends (the operator's outcome, the kiosk hanging up, a dropped link)."""
    if call.state != "active":
        raise IllegalTransition(f"only an active call can end; this one is {call.state}")
    return replace(call, state="ended", ended_reason=reason)


def cancel(call: Call) -> Call:
    """The citizen hangs up: before an answer it is cancelled, during a call it ends; a call
    already over stays as it is (the goal is reached)."""
    if call.state in UNANSWERED:
        return replace(
            call, state="cancelled", ringing_to=None, ended_reason="cancelled by citizen"
        )
    if call.state == "active":
        return end(call, "ended by citizen")
    return call


#: why a call ended when its kiosk's link did not come back
KIOSK_OFFLINE = "kiosk went offline"


def link_lost(call: Call, offline_for_s: float | None, timing: Timing) -> Call:
    """An active call whose kiosk has been offline (``offline_for_s``; None: online) longer
    than the grace ends as dropped; within it the call goes on (media reconnects by itself)."""
    if call.state != "active" or offline_for_s is None or offline_for_s < timing.offline_grace_s:
        return call
    return end(call, KIOSK_OFFLINE)


def next_deadline(call: Call, timing: Timing) -> datetime | None:
    """When time next changes this call by itself (ring timeout or wait limit), or None."""
    if call.state not in UNANSWERED:
        return None
    limit = call.created_at + timedelta(seconds=timing.wait_limit_s)
    if call.state == "ringing" and call.ringing_since is not None:
        return min(limit, call.ringing_since + timedelta(seconds=timing.ring_timeout_s))
    return limit
