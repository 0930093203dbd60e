"""Configuration of the A4 printers: IPP / IPP Everywhere, and the demo's spool directory."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from edge_agent.drivers.config import Capabilities, DriverConfig, PeripheralId, offers
from protocols.jobs import Capability


class _A4Base(DriverConfig):
    id: PeripheralId
    #: ``copy`` is added by the agent when the device also has a document camera
    capabilities: Capabilities = offers(Capability.A4_PRINT)
    model: Annotated[str, Field(max_length=128)] = ""
    #: a job not finished on the printer by then is canceled there and reported uncertain
    job_timeout_s: Annotated[float, Field(gt=0, le=3600)] = 300.0


class IppPrinterConfig(_A4Base):
    """An A4 printer speaking IPP / IPP Everywhere (any CUPS queue or network printer)."""

    type: Literal["ipp"]
    #: the printer URI, e.g. ``ipp://192.168.1.20:631/ipp/print`` (``ipps://`` for TLS)
    uri: Annotated[str, Field(pattern=r"^ipps?://[^/\s]+(/\S*)?$", max_length=512)]
    #: how long one IPP request may take
    request_timeout_s: Annotated[float, Field(gt=0, le=120)] = 10.0
    #: how often a job's state is asked for while it prints
    poll_interval_s: Annotated[float, Field(gt=0, le=30)] = 0.5
    #: how long the printer may stay unreachable while a job is on it before the job is
    #: reported uncertain (it may have printed, or may still print after a reboot)
    lost_contact_s: Annotated[float, Field(gt=0, le=600)] = 30.0
    #: sent as requesting-user-name (printers show it in their job log)
    user_name: Annotated[str, Field(min_length=1, max_length=64)] = "kfleet"


class A4SpoolConfig(_A4Base):
    """A stand-in A4 printer that writes each job's PDF into a directory (demo, dry runs)."""

    type: Literal["a4_spool"]
    directory: Path


A4Config = IppPrinterConfig | A4SpoolConfig
