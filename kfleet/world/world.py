"""A simulated hall world: agents, each with its own simulated peripherals, in one process.

Every device gets a simulated ESC/POS receipt printer. With ``KioskSpec(full_peripherals=True)``
a kiosk also gets an ID-card reader simulator (on a pty), a synthetic camera + microphone, a
synthetic document camera (``synthetic:`` frames, registered into the agent's drivers by
:func:`register_synthetic_sources`) and an A4 printer (an IPP URI such as a
running ippeveprinter, or a spool directory that collects the PDFs); a window PC
(``role="window"``) gets a call button and a 好差评 rating pad simulator (on ptys). The pty paths
are written into each agent's config exactly as a technician would write device paths.

Used by ``kfleet demo`` (the Golmud pilot devices) and ``kfleet sim fleet`` (the load
generator for benchmarks: hundreds of agents on one broker).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge_agent.agent import Agent
from edge_agent.config import AgentConfig
from simulators.call_button import CallButtonSim
from simulators.escpos_printer import EscPosPrinterSim, Faults
from simulators.idcard_reader import IdCardReaderSim
from simulators.rating_pad import RatingPadSim

log = logging.getLogger(__name__)

#: the synthetic document camera's frames: small enough that a health probe stays cheap
DOC_CAMERA_DEVICE = "synthetic:plain_desk?size=960x540"
#: the synthetic camera + microphone (moving test pattern, 1 kHz tone)
AV_CAMERA_DEVICE = "synthetic:kiosk"
#: how long an agent waits for a status reply of its simulated printer. The simulator answers
#: from the world's one event loop (cloud, agents and simulators): on a loaded machine that
#: loop can be busy past the driver's 1 s default, and each such probe read as a silent
#: printer ("unknown" health and paper) in the charts of a printer that was only out of paper
SIM_PRINTER_STATUS_TIMEOUT_S = 5.0


def register_synthetic_sources() -> None:
    """Let ``device = "synthetic:..."`` in the agent's camera configs open the simulators.

    The world does this, not the simulators: they know nothing of the agent."""
    from edge_agent.drivers.av_camera import register_av_source
    from edge_agent.drivers.doc_camera import register_frame_source
    from simulators import av_source, doc_camera

    register_av_source("synthetic", av_source.source_from_name)
    register_frame_source("synthetic", doc_camera.source_from_name)


@dataclass(frozen=True)
class KioskSpec:
    """One simulated device: its identity, where it stands, and which peripherals it has."""

    device_id: str
    site: str
    name: str
    role: str = "kiosk"
    #: besides the receipt printer: a kiosk gets an ID-card reader and a document camera, a
    #: window PC a call button and a rating pad
    full_peripherals: bool = False
    #: a full kiosk's A4 printer: this IPP URI (e.g. a running ippeveprinter), or, if None,
    #: a spool directory under ``data_dir/a4/<device id>`` that collects the PDFs
    a4_printer_uri: str | None = None


@dataclass
class RunningKiosk:
    spec: KioskSpec
    agent: Agent
    printer: EscPosPrinterSim
    task: asyncio.Task[None]
    idcard: IdCardReaderSim | None = None
    call_button: CallButtonSim | None = None
    rating_pad: RatingPadSim | None = None

    @property
    def sims(self) -> list[IdCardReaderSim | CallButtonSim | RatingPadSim]:
        """The pty-backed simulators of this device (besides the printer)."""
        return [s for s in (self.idcard, self.call_button, self.rating_pad) if s is not None]


def agent_config(
    spec: KioskSpec,
    broker_url: str,
    data_dir: Path,
    printer_port: int,
    *,
    idcard_port: str | None = None,
    call_button_port: str | None = None,
    rating_pad_port: str | None = None,
    doc_camera: str | None = None,
    av_camera: str | None = None,
    a4_printer: dict[str, Any] | None = None,
    receipt: dict[str, Any] | None = None,
    **settings: Any,
) -> AgentConfig:
    """The config a technician would write for this device, pointing at its simulators.

    ``receipt``: further keys of the receipt printer's own config (``status_timeout_s``...);
    ``settings`` are further top-level keys (``health_interval_s``...)."""
    peripherals: list[dict[str, Any]] = [
        {
            "type": "escpos_network",
            "id": "receipt",
            "host": "127.0.0.1",
            "port": printer_port,
            "status_timeout_s": SIM_PRINTER_STATUS_TIMEOUT_S,
            "capabilities": ["receipt"],
            **(receipt or {}),
        }
    ]
    if idcard_port is not None:
        peripherals.append({"type": "idcard_ga467", "id": "idcard", "port": idcard_port})
    if doc_camera is not None:
        peripherals.append({"type": "doc_camera_uvc", "id": "doccam", "device": doc_camera})
    if av_camera is not None:
        peripherals.append({"type": "av_camera", "id": "camera", "device": av_camera})
    if a4_printer is not None:
        peripherals.append(a4_printer)
    if call_button_port is not None:
        peripherals.append(
            {"type": "call_button_serial", "id": "callbtn", "port": call_button_port}
        )
    if rating_pad_port is not None:
        peripherals.append({"type": "rating_pad_serial", "id": "rating", "port": rating_pad_port})
    return AgentConfig.model_validate(
        {
            "device_id": spec.device_id,
            "role": spec.role,
            "site": spec.site,
            "name": spec.name,
            "data_dir": str(data_dir / "agents" / spec.device_id),
            "peripherals": peripherals,
            # many simulated agents share one machine: no screen unless a caller asks for one
            "screen": {"enabled": False},
            "av": {"ice_host_addresses": ["127.0.0.1"]},  # one host: media stays on loopback
            **settings,
            "mqtt": {"url": broker_url, **settings.get("mqtt", {})},
        }
    )


async def _start_device(
    spec: KioskSpec, broker_url: str, data_dir: Path, settings: dict[str, Any]
) -> RunningKiosk:
    """The spec's simulators and agent, running. ``settings`` may carry the device's ``mqtt``
    credentials and its ``cloud`` (from its enrollment)."""
    printer = EscPosPrinterSim("127.0.0.1", 0, data_dir / "receipts" / spec.device_id, Faults())
    await printer.start()
    idcard = call_button = rating_pad = None
    ports: dict[str, Any] = {}
    if spec.full_peripherals and spec.role == "window":
        call_button, rating_pad = CallButtonSim(), RatingPadSim()
        await call_button.start()
        await rating_pad.start()
        ports.update(call_button_port=call_button.port_path, rating_pad_port=rating_pad.port_path)
    elif spec.full_peripherals:
        register_synthetic_sources()
        idcard = IdCardReaderSim()
        await idcard.start()
        call_button = CallButtonSim()  # issue 16: the kiosk's hardware help button
        await call_button.start()
        ports.update(
            idcard_port=idcard.port_path,
            call_button_port=call_button.port_path,
            doc_camera=DOC_CAMERA_DEVICE,
            av_camera=AV_CAMERA_DEVICE,
            a4_printer=_a4_printer(spec, data_dir),
        )
    agent = Agent(agent_config(spec, broker_url, data_dir, printer.port, **ports, **settings))
    task = asyncio.create_task(agent.run(), name=f"agent-{spec.device_id}")
    return RunningKiosk(spec, agent, printer, task, idcard, call_button, rating_pad)


def _a4_printer(spec: KioskSpec, data_dir: Path) -> dict[str, Any]:
    if spec.a4_printer_uri is not None:
        return {"type": "ipp", "id": "a4", "uri": spec.a4_printer_uri, "poll_interval_s": 0.1}
    spool = data_dir / "a4" / spec.device_id
    spool.mkdir(parents=True, exist_ok=True)
    return {"type": "a4_spool", "id": "a4", "directory": str(spool)}


@contextlib.asynccontextmanager
async def running_world(
    specs: list[KioskSpec],
    broker_url: str,
    data_dir: Path,
    *,
    connect_timeout_s: float = 60,
    agent_settings: dict[str, Any] | None = None,
    device_settings: dict[str, dict[str, Any]] | None = None,
) -> AsyncIterator[list[RunningKiosk]]:
    """Start each spec's simulators and agent; stop them all (agents first) on exit.

    ``agent_settings``: further top-level agent config keys for every agent;
    ``device_settings``: keys for one agent, by device id (its enrolled credentials)."""
    kiosks: list[RunningKiosk] = []
    try:
        for spec in specs:
            own = {**(agent_settings or {}), **(device_settings or {}).get(spec.device_id, {})}
            kiosks.append(await _start_device(spec, broker_url, data_dir, own))
        async with asyncio.timeout(connect_timeout_s):
            await asyncio.gather(*(k.agent.wait_connected() for k in kiosks))
        yield kiosks
    finally:
        await asyncio.gather(*(k.agent.stop() for k in kiosks), return_exceptions=True)
        for k in kiosks:
            k.task.cancel()
        await asyncio.gather(*(k.task for k in kiosks), return_exceptions=True)
        await asyncio.gather(*(k.printer.stop() for k in kiosks), return_exceptions=True)
        await asyncio.gather(*(s.stop() for k in kiosks for s in k.sims), return_exceptions=True)
