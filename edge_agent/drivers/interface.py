"""The peripheral interface every driver implements itself: what the agent's registry,
birth, health monitor, job runner and telemetry see of a peripheral.

A peripheral is an id, a ``kind`` (the hardware), a ``model``, the ``capabilities`` it
offers, an ``async health()`` that never raises and an ``async close()``. Optional parts are
small protocols of their own, checked where they are used: :class:`Counting` (counters for
telemetry), :class:`HealthWatched` (tells the agent at once when its health may have
changed), :class:`ActivePeripheral` (a connection of its own, or device input to report:
``start()`` connects, bounded, so the birth can say ``ok``; ``run(emit)`` turns device input
into ``evt`` bodies until cancelled).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol, runtime_checkable

from protocols.messages import EventBody, Health

Emit = Callable[[EventBody], Awaitable[None]]


@runtime_checkable
class Peripheral(Protocol):
    """A peripheral as the agent's registry, birth and health monitor see it."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def model(self) -> str: ...

    @property
    def capabilities(self) -> tuple[str, ...]: ...

    async def health(self) -> tuple[Health, str]:
        """(health, reason); never raises: a missing device is ``offline`` with a reason."""
        ...

    async def close(self) -> None: ...


@runtime_checkable
class ActivePeripheral(Peripheral, Protocol):
    """A peripheral with a connection to keep or device input to report."""

    async def start(self) -> None:
        """Connect; returns once ready or after a bound (never raises for a missing device)."""
        ...

    async def run(self, emit: Emit) -> None:
        """Report device input as events through ``emit`` until cancelled."""
        ...


@runtime_checkable
class Counting(Protocol):
    """Optional: a peripheral that counts what it did (telemetry, never personal data)."""

    def counters(self) -> Mapping[str, int]: ...


@runtime_checkable
class HealthWatched(Protocol):
    """Optional: a peripheral that notices health changes by itself (a port that closed)."""

    def on_health_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (from the event loop) whenever ``health()`` may have changed."""
        ...


def counters_of(p: object) -> Mapping[str, int]:
    """``p.counters()``, or ``{}`` for a peripheral that keeps none."""
    return p.counters() if isinstance(p, Counting) else {}
