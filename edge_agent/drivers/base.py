"""What drivers share: identity read from their config (:class:`ConfiguredDriver`), and the
narrow interface the job runner and health monitor see of a receipt printer.

Everything hardware-specific (python-escpos, sockets, pyserial, pyusb) stays behind it, so
the runner can be tested against a simulator and a new printer family is one new module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Protocol, runtime_checkable

from edge_agent.drivers.config import DriverConfig
from edge_agent.drivers.interface import Peripheral
from protocols.escpos import PrinterStatus
from protocols.escpos.layout import PAPER_80MM
from protocols.jobs import ReceiptParams
from protocols.messages import Health

__all__ = [
    "ConfiguredDriver",
    "DriverSpec",
    "PrintReport",
    "PrinterStatus",
    "ReceiptPrinter",
    "health_of",
]


@dataclass(frozen=True, slots=True)
class DriverSpec:
    """What a driver module declares (as ``DRIVER``) for the registry: the config ``types``
    it drives, the hardware ``kind``, its ``config`` model(s) and the ``peripheral`` class
    built from such a config."""

    types: tuple[str, ...]
    kind: str
    config: type[DriverConfig] | UnionType
    peripheral: Callable[..., object]


class ConfiguredDriver:
    """A driver's id, model and capabilities, as its config says."""

    cfg: DriverConfig

    @property
    def id(self) -> str:
        return self.cfg.id

    @property
    def model(self) -> str:
        return self.cfg.model or self.cfg.type

    @property
    def capabilities(self) -> tuple[str, ...]:
        return tuple(self.cfg.capabilities)


@dataclass(frozen=True, slots=True)
class PrintReport:
    """What a successful print job looked like (sent as the ack's ``result``)."""

    bytes_sent: int
    status_before: PrinterStatus
    status_after: PrinterStatus
    extra: dict[str, Any] = field(default_factory=dict)
    #: the exact bytes written to the printer (a receipt's proof is drawn from them; never
    #: part of the result)
    sent: bytes = b""
    #: the printable width of the paper, in dots (576: 80 mm, 384: 58 mm)
    paper_dots: int = PAPER_80MM

    def as_result(self) -> dict[str, Any]:
        return {
            "bytes": self.bytes_sent,
            "status_before": self.status_before.value,
            "status_after": self.status_after.value,
            **self.extra,
        }


@runtime_checkable
class ReceiptPrinter(Peripheral, Protocol):
    """A receipt printer as the agent uses it."""

    async def probe(self) -> PrinterStatus:
        """Ask the printer for its real-time status (never raises)."""
        ...

    async def print_receipt(
        self, params: ReceiptParams, on_start: Callable[[], Awaitable[None]]
    ) -> PrintReport:
        """Print; ``on_start`` is awaited right before the first byte of the job is sent.

        Raises :class:`edge_agent.errors.PrinterError`; its ``side_effect_possible`` is False
        exactly when ``on_start`` has not been called.
        """
        ...


def health_of(status: PrinterStatus) -> tuple[Health, str]:
    """Map a printer status onto the wire's peripheral health (+ reason)."""
    if status is PrinterStatus.OK:
        return Health.OK, ""
    if status is PrinterStatus.NEAR_END:
        return Health.DEGRADED, "near_end"
    if status in (PrinterStatus.NO_REPLY, PrinterStatus.GARBLED):
        return Health.UNKNOWN, status.value
    if status is PrinterStatus.UNREACHABLE:
        return Health.OFFLINE, "unreachable"
    return Health.OFFLINE, status.value
