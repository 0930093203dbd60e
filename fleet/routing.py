"""Choosing the device that runs a job aimed at a site and a capability, and refusing
targets that can never run it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fleet.peripherals import HEALTH_RANK, PeripheralState, has_capability
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
    usable = [
        c
        for c in candidates
        if c.online
        and c.capability_health is not None
        and c.capability_health is not Health.OFFLINE
    ]
    if not usable:
        return None
    return min(
        usable,
        key=lambda c: (
            HEALTH_RANK[c.capability_health or Health.UNKNOWN],
            c.active_jobs,
            c.device_id,
        ),
    )


def device_target_refusal(
    device_id: str, peripherals: Iterable[PeripheralState], capability: str, kind: str
) -> str | None:
    """Why a job for ``device_id`` can never run there (None: it can)."""
    if has_capability(peripherals, capability):
        return None
    return (
        f"device {device_id} has no peripheral with capability {capability}, which a "
        f"{kind} job needs; send it to a device that has one, or to a site with "
        f"{{'site': ..., 'capability': '{capability}'}}"
    )


def site_target_refusal(
    site: str, devices: Iterable[Iterable[PeripheralState]], capability: str, kind: str
) -> str | None:
    """Why a job for ``site`` can never run (None: a device of it, online or not, could).

    ``devices`` are the peripherals of every device the site's jobs are routed to.
    """
    if any(has_capability(peripherals, capability) for peripherals in devices):
        return None
    return (
        f"no device of site {site} has a peripheral with capability {capability}, which a "
        f"{kind} job needs; send it to a site with such a device, or register one there first"
    )
