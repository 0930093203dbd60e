"""``kfleet provision probe``: what hardware this machine has and which kfleet peripheral each
device looks like, for the technician filling in the agent's config."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from provisioning.probe_ask import ipp_uri, probe_ipp, query_escpos
from provisioning.probe_local import ROOT, local_devices
from provisioning.probe_models import Finding, Kind
from provisioning.probe_report import as_json, as_table

app = typer.Typer(help="Find the hardware on this machine and say what kfleet peripheral it is.")

RootOpt = Annotated[
    Path, typer.Option("--sysfs-root", help="Read sys/ and dev/ under this directory (testing).")
]
PortOpt = Annotated[
    list[str] | None,
    typer.Option("--port", help="Also probe this serial port or pty (repeatable)."),
]
IppOpt = Annotated[
    list[str] | None,
    typer.Option("--ipp", help="Ask this IPP printer (URI or host[:port]) for its attributes."),
]
QueryOpt = Annotated[
    bool,
    typer.Option(
        "--query", help="Send DLE EOT 1 to serial ports and printer nodes (writes 3 bytes)."
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
BaudOpt = Annotated[int, typer.Option("--baud", help="Baud rate for --query on serial ports.")]
TimeoutOpt = Annotated[
    float, typer.Option("--timeout", help="Seconds to wait for each device's answer.")
]


def gather(
    root: Path, ports: list[str], ipp: list[str], query: bool, baud: int, timeout: float
) -> list[Finding]:
    """Local devices, then (if asked) their ESC/POS answers, then the IPP printers."""
    found = local_devices(root, ports)
    if query:
        askable = (Kind.SERIAL, Kind.USB_PRINTER_NODE)
        found = [query_escpos(f, timeout, baud) if f.kind in askable else f for f in found]
    for uri in ipp:
        found.append(asyncio.run(probe_ipp(ipp_uri(uri), timeout)))
    return found


@app.command("probe")
def probe(
    sysfs_root: RootOpt = ROOT,
    port: PortOpt = None,
    ipp: IppOpt = None,
    query: QueryOpt = False,
    json_out: JsonOpt = False,
    baud: BaudOpt = 9600,
    timeout: TimeoutOpt = 2.0,
) -> None:
    """List serial ports, cameras, USB devices and printers, and what kfleet type each is."""
    found = gather(sysfs_root, port or [], ipp or [], query, baud, timeout)
    typer.echo(as_json(found) if json_out else as_table(found))
