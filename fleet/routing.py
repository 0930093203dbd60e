"""Choosing the device that runs a job aimed at a site and a capability."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from protocols.messages import Health


@dataclass(frozen=True, slots=True)
class Candidate:
    device_id: str
    online: bool
    capability_health: Health | None  # health of its best peripheral with the capability
    active_jobs: int


def choose_device(candidates: Iterable[Candidate]) -> Candidate | None:
    """Pick an online device with the capability: healthy first, then least busy, then by id.

    Devices whose peripheral is ``offline`` are never chosen; ``unknown``/``degraded`` only
    when no healthy one is online.
    """
    rank = {Health.OK: 0, Health.DEGRADED: 1, Health.UNKNOWN: 2}
    usable = [
        c
        for c in candidates
        if c.online and c.capability_health is not None and c.capability_health in rank
    ]
    if not usable:
        return None
    return min(
        usable,
        key=lambda c: (rank[c.capability_health or Health.UNKNOWN], c.active_jobs, c.device_id),
    )
