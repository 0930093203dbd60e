"""``kfleet sim printer``: run the ESC/POS receipt-printer simulator until Ctrl-C."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from simulators.escpos_printer import EscPosPrinterSim, Faults

HELP = """Run a TCP ESC/POS receipt printer (raw port 9100 protocol) until Ctrl-C.

Each receipt (ended by a cut, or by the connection closing, if something visible was
printed) is written as OUT/<n>.bin (raw bytes), OUT/<n>.png (the paper) and OUT/<n>.txt (the
paper as text in print order: "[QR] ...", "[BARCODE ...] ...", "[IMAGE wxh]" where each
printed). DLE EOT, GS r, GS I, GS a (automatic status back) and DLE DC4 are answered like an
Epson printer (docs/simulators.md); the fault flags change those answers.
"""


def printer(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 9100,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    out: Annotated[Path, typer.Option(help="Directory for <n>.txt / .bin / .png receipts.")] = Path(
        "receipts"
    ),
    paper_out: Annotated[bool, typer.Option(help="No paper: offline, nothing printed.")] = False,
    cover_open: Annotated[bool, typer.Option(help="Cover open: offline, nothing printed.")] = False,
    near_end: Annotated[bool, typer.Option(help="Paper roll near its end.")] = False,
    silent: Annotated[bool, typer.Option(help="Never answer status queries.")] = False,
    drop_mid_job: Annotated[
        int | None, typer.Option(help="Reset each connection after N bytes, losing the job.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for the simulator's random choices.")] = 0,
) -> None:
    faults = Faults(
        paper_out=paper_out,
        cover_open=cover_open,
        near_end=near_end,
        silent=silent,
        drop_mid_job=drop_mid_job,
        seed=seed,
    )
    try:
        asyncio.run(_serve(EscPosPrinterSim(host, port, out, faults)))
    except KeyboardInterrupt:
        typer.echo("printer simulator stopped")
    except OSError as err:
        typer.echo(f"cannot start the printer simulator on {host}:{port}: {err}", err=True)
        raise typer.Exit(1) from err


async def _serve(sim: EscPosPrinterSim) -> None:
    await sim.start()
    typer.echo(f"ESC/POS printer listening on {sim.host}:{sim.port}, receipts in {sim.out_dir}")
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await sim.stop()


def register(app: typer.Typer) -> None:
    """Add the ``printer`` command to a Typer app (``kfleet sim``)."""
    app.command("printer", help=HELP)(printer)
