"""``kfleet demo`` and ``kfleet sim fleet``: the commands that start a whole world."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Annotated

import typer

from kfleet.errors import KfleetError
from kfleet.world.terminal import say

PaperCycleOpt = Annotated[
    bool,
    typer.Option(
        help="Let tgls-kiosk-01's receipt printer run out of paper now and then (and be "
        "refilled), so the overview, charts and alerts have something to show."
    ),
]
HallOpt = Annotated[
    bool, typer.Option(help="Simulated citizens take tickets, are called and rate.")
]
KioskOpt = Annotated[
    bool,
    typer.Option(
        help="Serve each pilot kiosk's citizen app (ports 8093-8095) and run the kiosk "
        "services' simulated outside systems (SMS gateway, departments, city platform)."
    ),
]


def demo(
    data_dir: Annotated[
        Path, typer.Option(help="Where the database, agent state and receipts go.")
    ] = Path("kfleet-data"),
    broker: Annotated[
        str | None,
        typer.Option(help="Use this MQTT broker (mqtt://host:port) instead of the embedded one."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address the console and API listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port of the console and API (0: any free).")] = 8080,
    tsdb: Annotated[
        str,
        typer.Option(
            help="Keep telemetry in this store instead of the SQL database: "
            "victoriametrics+http://host:port or influxdb+http://host:port?org=..&bucket=..&token=.."
        ),
    ] = "",
    paper_cycle: PaperCycleOpt = True,
    hall: HallOpt = True,
    kiosk: KioskOpt = True,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log more.")] = False,
) -> None:
    """Run broker, cloud and the three Golmud pilot kiosks with simulated printers.

    Exit codes: 2 a malformed option, 3 the broker cannot be reached, 4 the data directory is
    unusable, 5 the port is taken, 1 anything else."""
    from kfleet.world.demo import (
        DEMO_KIOSK_SCREENS,
        DEMO_MONITOR_SITES,  # issue 16 walls
        DEMO_SCREENS,
        DemoOptions,
        run_demo,
    )
    from kfleet.world.hall_stream import HallStream
    from kfleet.world.paper_cycle import PaperCycle

    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format=fmt)
    opts = DemoOptions(
        data_dir=data_dir,
        broker_url=broker,
        host=host,
        port=port,
        tsdb_url=tsdb,
        paper_cycle=PaperCycle() if paper_cycle else None,
        hall_stream=HallStream() if hall else None,
        screens={**(DEMO_SCREENS if hall else {}), **(DEMO_KIOSK_SCREENS if kiosk else {})},
        haocha_sim=hall,
        kiosk_sims=kiosk,
        cloud_settings={"media_monitor_sites": DEMO_MONITOR_SITES},  # issue 16 walls: /live
    )
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_demo(opts))
    except KfleetError as err:
        say(f"kfleet demo: {err}", err=True)
        raise typer.Exit(err.exit_code) from None
    say("kfleet demo stopped.")


def fleet(
    broker: Annotated[str, typer.Option(help="MQTT broker URL (mqtt://host:port[?v=5]).")],
    agents: Annotated[int, typer.Option(min=1, help="How many kiosk agents to run.")] = 100,
    site: Annotated[str, typer.Option(help="Site path all agents stand at.")] = (
        "qh/hx/golmud/hhl"
    ),
    prefix: Annotated[str, typer.Option(help="Device ids are <prefix>-<n>.")] = "sim-kiosk",
    data_dir: Annotated[Path, typer.Option(help="Agent state and receipts.")] = Path(
        "kfleet-sim-fleet"
    ),
) -> None:
    """Run many kiosk agents, each with its own simulated receipt printer (load generator).

    Prints ``ready <n>`` once every agent is connected; stops on Ctrl-C or SIGTERM. Exit
    codes as for ``kfleet demo``.
    """
    import signal
    from concurrent.futures import ThreadPoolExecutor

    from kfleet.world.preflight import check_broker, parse_broker
    from kfleet.world.world import KioskSpec, running_world

    logging.basicConfig(level=logging.WARNING)
    specs = [
        KioskSpec(f"{prefix}-{i:04d}", site, f"模拟自助终端 {i}") for i in range(1, agents + 1)
    ]

    async def main() -> None:
        await check_broker(parse_broker(broker, optional=False), optional=False)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        # a real agent has its own threads for its printer's blocking I/O; asyncio's default
        # pool (cores + 4) would make the whole simulated fleet queue for 6 threads (issue 17)
        loop.set_default_executor(ThreadPoolExecutor(max_workers=min(256, 2 * len(specs))))
        async with running_world(specs, broker, data_dir, connect_timeout_s=120):
            say(f"ready {len(specs)}")
            await stop.wait()

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())
    except KfleetError as err:
        say(f"kfleet sim fleet: {err}", err=True)
        raise typer.Exit(err.exit_code) from None
