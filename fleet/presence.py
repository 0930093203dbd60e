"""Device presence from birth/state messages with a birth-death sequence (bdSeq).

A device's session is named by ``bd_seq``. A birth makes its session current; an offline
state counts only if it names the current session, so a late MQTT will from an old session
can never mark a reconnected device offline. A birth naming a session already seen to end
is the retained copy of an old birth redelivered after a cloud reconnect: it does not bring
the device back (agents use a new ``bd_seq`` per connection). "Seen to end" covers both the
current session gone offline and the will of another session that arrived before its birth
(MQTT orders nothing across the birth and state topics), which ``ended_bd_seq`` remembers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class PresenceIgnored(StrEnum):
    """Why a birth or state message leaves presence as it is (counted as ``ignored``)."""

    #: a redelivered retained birth of a session already seen to end
    BIRTH_OF_ENDED_SESSION = "birth_of_ended_session"
    #: the state of the current session, as already known
    STATE_UNCHANGED = "state_unchanged"
    #: a state (e.g. a late will) of another session, or an online state before any birth
    STALE_SESSION = "stale_session"


@dataclass(frozen=True, slots=True)
class Presence:
    online: bool
    bd_seq: int | None  # session of the last birth seen; None before any birth
    #: the last session other than ``bd_seq`` seen to end (its birth may still arrive)
    ended_bd_seq: int | None = None


UNKNOWN = Presence(online=False, bd_seq=None)


def is_ended_session(current: Presence, bd_seq: int) -> bool:
    """True if a birth for ``bd_seq`` names the session already seen to end."""
    return current.bd_seq == bd_seq and not current.online


def on_birth(current: Presence, bd_seq: int) -> Presence | None:
    """A birth starts the current session (the newest birth wins); None if it names a
    session already seen to end (a redelivered retained birth: presence unchanged)."""
    if is_ended_session(current, bd_seq):
        return None
    if bd_seq == current.ended_bd_seq:  # its will came first: that session is already over
        return Presence(online=False, bd_seq=bd_seq)
    return Presence(online=True, bd_seq=bd_seq, ended_bd_seq=current.ended_bd_seq)


def on_state(current: Presence, online: bool, bd_seq: int) -> Presence | None:
    """Apply a state message; None when it changes nothing. The offline state of another
    session leaves online/bd_seq as they are and is only remembered in ``ended_bd_seq``
    (see :func:`changes_presence`)."""
    if current.bd_seq is None:
        # No birth seen yet: an online state cannot be trusted without the birth's
        # peripherals; an offline one is safe to record.
        return None if online else Presence(online=False, bd_seq=bd_seq)
    if bd_seq != current.bd_seq:
        if online or bd_seq == current.ended_bd_seq:
            return None
        return replace(current, ended_bd_seq=bd_seq)
    if online == current.online:
        return None
    return Presence(online=online, bd_seq=bd_seq)


def changes_presence(current: Presence, new: Presence) -> bool:
    """True if ``new`` differs from ``current`` in what the fleet shows (online, session)."""
    return (new.online, new.bd_seq) != (current.online, current.bd_seq)


def why_state_ignored(current: Presence, bd_seq: int) -> PresenceIgnored:
    """Why :func:`on_state` returned None for a state naming ``bd_seq``."""
    if bd_seq == current.bd_seq:
        return PresenceIgnored.STATE_UNCHANGED
    return PresenceIgnored.STALE_SESSION
