"""A device's peripherals as the cloud last heard of them, and the one health ranking.

The cloud stores peripherals as JSON; everywhere else they travel as :class:`PeripheralState`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from protocols.messages import Health, PeripheralInfo

#: Best first. ``offline`` ranks last: such a peripheral is never chosen to run a job.
HEALTH_RANK: dict[Health, int] = {
    Health.OK: 0,
    Health.DEGRADED: 1,
    Health.UNKNOWN: 2,
    Health.OFFLINE: 3,
}


@dataclass(frozen=True, slots=True)
class PeripheralState:
    """One peripheral: what the birth announced, and its health since (with the time)."""

    id: str
    kind: str
    model: str = ""
    capabilities: tuple[str, ...] = ()
    health: Health = Health.UNKNOWN
    reason: str = ""
    updated_at: str | None = None  # ISO time of the last birth or health event

    @classmethod
    def announced(cls, info: PeripheralInfo, at: str) -> PeripheralState:
        """From a birth message, received at ``at`` (ISO)."""
        return cls(
            info.id,
            info.kind,
            info.model,
            tuple(info.capabilities),
            info.health,
            info.reason,
            at,
        )

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PeripheralState:
        """From the stored JSON (an unknown health value reads as ``unknown``)."""
        try:
            health = Health(raw.get("health", Health.UNKNOWN))
        except ValueError:
            health = Health.UNKNOWN
        return cls(
            id=str(raw.get("id", "")),
            kind=str(raw.get("kind", "")),
            model=str(raw.get("model", "")),
            capabilities=tuple(str(c) for c in raw.get("capabilities", ())),
            health=health,
            reason=str(raw.get("reason", "")),
            updated_at=raw.get("updated_at"),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "model": self.model,
            "capabilities": list(self.capabilities),
            "health": self.health.value,
            "reason": self.reason,
            "updated_at": self.updated_at,
        }

    def with_health(self, health: Health, reason: str, at: str) -> PeripheralState:
        return replace(self, health=health, reason=reason, updated_at=at)


def parse_all(raw: Iterable[Mapping[str, Any]]) -> tuple[PeripheralState, ...]:
    return tuple(PeripheralState.from_json(p) for p in raw)


def capability_health(peripherals: Iterable[PeripheralState], capability: str) -> Health | None:
    """Health of the best peripheral offering ``capability``; None if none offers it."""
    best: Health | None = None
    for p in peripherals:
        if capability in p.capabilities and (
            best is None or HEALTH_RANK[p.health] < HEALTH_RANK[best]
        ):
            best = p.health
    return best


def has_capability(peripherals: Iterable[PeripheralState], capability: str) -> bool:
    return capability_health(peripherals, capability) is not None


def find(peripherals: Iterable[PeripheralState], peripheral_id: str) -> PeripheralState | None:
    return next((p for p in peripherals if p.id == peripheral_id), None)
