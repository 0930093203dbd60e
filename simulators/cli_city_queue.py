"""``kfleet sim city-queue``: run the city-hall queue system simulator until Ctrl-C."""

from __future__ import annotations

from typing import Annotated

import typer

from simulators.cli_serve import run_until_ctrl_c

HELP = """Run the simulated city-hall queue and calling system (市级大厅排队叫号系统) over HTTP.

The API is documented in docs/city-queue.md (every request sends X-Api-Key). Business types
HJ/SB/YB/BDC (prefixes A-D), windows 1-4. Faults: --fail-rate with --seed answers a share of
requests with 500 or holds them --stall-s seconds, reproducibly; POST /_sim/faults switches
faults while it runs (fail_next, stall_next, stale_next, suspend)."""


def city_queue(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8086,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    api_key: Annotated[str, typer.Option(help="The key clients send as X-Api-Key.")] = (
        "city-sim-key"
    ),
    fail_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests given a random fault.")
    ] = 0.0,
    stall_s: Annotated[float, typer.Option(min=0.0, help="How long a stall holds an answer.")] = (
        5.0
    ),
    seed: Annotated[int, typer.Option(help="Seed of the random faults.")] = 0,
) -> None:
    # imported here: aiohttp would add a second to every other kfleet command's start
    from simulators.city_queue import CityQueueSim, Faults, serve_forever

    sim = CityQueueSim(
        api_key=api_key,
        host=host,
        port=port,
        faults=Faults(rate=fail_rate, stall_s=stall_s, seed=seed),
    )

    async def started(url: str) -> None:
        typer.echo(f"city queue system listening on {url} (X-Api-Key: {api_key})")

    run_until_ctrl_c(serve_forever(sim, started), "city queue simulator", host, port)


def register(app: typer.Typer) -> None:
    """Add the ``city-queue`` command to a Typer app (``kfleet sim``)."""
    app.command("city-queue", help=HELP)(city_queue)
