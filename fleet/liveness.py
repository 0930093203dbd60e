"""Liveness: what the fleet shows for a device, from its presence AND how long it has been quiet.

Presence (``fleet.presence``) trusts births and wills; a device whose will never reaches the
cloud (a client that connected without one, a broker that lost it, a forged birth) would stay
"online" forever. So a device that has sent nothing for ``SILENT_AFTER_PERIODS`` of its
heartbeats (its telemetry period, from its birth) is shown as *silent*, whatever its last
state said, and is online again with its next message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from protocols.telemetry import DEFAULT_TELE_INTERVAL_S, SILENT_AFTER_PERIODS


class Liveness(StrEnum):
    ONLINE = "online"
    SILENT = "silent"  # says online, but nothing heard for too long
    OFFLINE = "offline"
    NEVER_SEEN = "never_seen"


@dataclass(frozen=True, slots=True)
class LivenessView:
    state: Liveness
    #: when the current state began (for SILENT: the last message + the allowed quiet)
    since: datetime | None
    #: one sentence for operators (English; the console translates by ``state``)
    reason: str


def silent_after(heartbeat_s: float | None) -> timedelta:
    """How long a device may be quiet before it is shown as silent."""
    period = heartbeat_s if heartbeat_s and heartbeat_s > 0 else DEFAULT_TELE_INTERVAL_S
    return timedelta(seconds=period * SILENT_AFTER_PERIODS)


def liveness(
    online: bool, last_seen: datetime | None, heartbeat_s: float | None, now: datetime
) -> LivenessView:
    """The device's liveness at ``now``. ``last_seen``: its last message of any kind."""
    if last_seen is None:
        return LivenessView(Liveness.NEVER_SEEN, None, "no message from this device yet")
    if not online:
        return LivenessView(Liveness.OFFLINE, last_seen, "the device's session ended")
    quiet = silent_after(heartbeat_s)
    if now - last_seen > quiet:
        return LivenessView(
            Liveness.SILENT,
            last_seen + quiet,
            f"no message for {(now - last_seen).total_seconds():.0f} s "
            f"(more than {SILENT_AFTER_PERIODS} heartbeats of "
            f"{quiet.total_seconds() / SILENT_AFTER_PERIODS:g} s) though its last state "
            "said online: its link or the broker may have lost it without a will",
        )
    return LivenessView(Liveness.ONLINE, last_seen, "")
