"""The narrow interface the job runner and health monitor see of an A4 printer.

An A4 printer takes a whole PDF (certificates, forms, copies) and follows the job to its end
on the printer; IPP and the demo's spool directory are two implementations. Errors are
:class:`edge_agent.errors.PrinterError`, whose ``side_effect_possible`` says whether paper may
have come out — the difference between a job that may be retried and one an operator settles.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from edge_agent.drivers.base import ConfiguredDriver
from edge_agent.drivers.camera_config import ScanMode
from edge_agent.drivers.interface import Peripheral
from protocols.jobs import Capability

Sides = Literal["one-sided", "two-sided-long-edge", "two-sided-short-edge"]
OnStart = Callable[[], Awaitable[None]]

#: every PDF starts with this (after at most 1 KiB of junk, which we do not allow)
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True, slots=True)
class A4Document:
    """One document to print."""

    pdf: bytes
    title: str = ""
    copies: int = 1
    sides: Sides = "one-sided"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


@dataclass(frozen=True, slots=True)
class A4Report:
    """What a completed A4 job looked like (part of the ack's ``result``)."""

    printer_job: str
    document_bytes: int
    document_sha256: str
    #: impressions (sides) the printer says it printed; None if it does not say
    impressions: int | None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_result(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "printer_job": self.printer_job,
            "document_bytes": self.document_bytes,
            "document_sha256": self.document_sha256,
            **self.extra,
        }
        if self.impressions is not None:
            out["impressions"] = self.impressions
        return out


class Scan(Protocol):
    """What a copy needs of a scanned page."""

    @property
    def jpeg(self) -> bytes: ...

    @property
    def page_found(self) -> bool: ...


class Scanner(Protocol):
    """A document camera, as a copy borrows it."""

    @property
    def id(self) -> str: ...

    async def scan(self, mode: ScanMode | None = None) -> Scan: ...


class A4PrinterBase(ConfiguredDriver):
    """What every A4 driver has: with a document camera beside it on the same device
    (:meth:`pair_scanner`) it also offers ``copy``."""

    kind = "a4_printer"
    scanner: Scanner | None = None

    def pair_scanner(self, scanner: Scanner) -> None:
        self.scanner = scanner

    @property
    def capabilities(self) -> tuple[str, ...]:
        own = tuple(self.cfg.capabilities)
        copy = Capability.COPY
        return (*own, copy) if self.scanner is not None and copy not in own else own


@runtime_checkable
class A4Printer(Peripheral, Protocol):
    """An A4 printer as the agent uses it."""

    #: the document camera beside it, for ``copy`` (None: it cannot copy)
    scanner: Scanner | None

    async def print_pdf(self, doc: A4Document, on_start: OnStart) -> A4Report:
        """Print and follow the job to its end on the printer.

        ``on_start`` is awaited right before the document leaves for the printer. Raises
        :class:`edge_agent.errors.PrinterError`.
        """
        ...


def is_pdf(data: bytes) -> bool:
    """A cheap check that ``data`` is a PDF, so a wrong blob fails before it reaches paper."""
    return data.startswith(PDF_MAGIC)
