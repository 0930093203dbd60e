"""What the kiosk features share: the agent's view, the cloud client and the session."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from edge_agent.kiosk.cloud_client import KioskCloud
from edge_agent.kiosk.session import KioskSession

if TYPE_CHECKING:
    from edge_agent.config import AgentConfig
    from edge_agent.drivers.interface import Peripheral
    from edge_agent.hall import HallContent


class KioskView(Protocol):
    """What the kiosk reads from the agent (``edge_agent.agent.Agent`` satisfies it)."""

    @property
    def config(self) -> AgentConfig: ...

    @property
    def peripherals(self) -> Mapping[str, Peripheral]: ...

    @property
    def connected(self) -> asyncio.Event: ...


@dataclass
class KioskParts:
    """Built once per agent (:meth:`of`); every feature's routes receive it."""

    view: KioskView
    cloud: KioskCloud
    session: KioskSession
    #: the site's content as this agent holds it (the catalogue; None in unit tests)
    hall: HallContent | None = None
    #: per-feature state that must live as long as the agent (a search index...)
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, view: KioskView, hall: HallContent | None = None) -> KioskParts:
        cfg = view.config
        cloud_url = cfg.cloud.url if cfg.cloud is not None else None
        temp = Path(cfg.data_dir) / "kiosk" / "session"
        return cls(view=view, cloud=KioskCloud(cloud_url), session=KioskSession(temp), hall=hall)

    def peripheral(self, kind: str) -> Peripheral | None:
        """The first peripheral of ``kind`` (``idcard``, ``a4_printer``, ``receipt_printer``)."""
        return next((p for p in self.view.peripherals.values() if p.kind == kind), None)
