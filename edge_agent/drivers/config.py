"""What every peripheral's configuration has, and the rules its shared fields follow.

Each driver family declares its own model in a hardware-free ``<family>_config.py`` beside
it (so loading a config never imports pyserial, OpenCV or python-escpos); the discriminated
union of them all is built by :mod:`edge_agent.peripherals.registry` from its driver table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from protocols.jobs import Capability

PeripheralId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")]
#: what a peripheral offers (its default is the driver's own): the protocol's names only
Capabilities = Annotated[list[Capability], Field(min_length=1, max_length=32)]


def offers(*capabilities: Capability) -> Any:
    """A ``capabilities`` default: a fresh list per config."""
    return Field(default_factory=lambda: list(capabilities))


class DriverConfig(BaseModel):
    """Base of every peripheral's config model: unknown keys are errors; frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    if TYPE_CHECKING:  # declared (with their defaults) by each driver's model
        type: str
        id: str
        model: str
        capabilities: list[Capability]
