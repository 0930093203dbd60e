"""``kfleet sim dept --code X``: run one simulated department API until Ctrl-C."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from simulators.dept_all import SIMULATORS
from simulators.dept_common import DeptSimulator, Faults

HELP = """Run one department's API for the kiosk's convenience queries (docs/departments.md)
until Ctrl-C: edu 教育厅, hrss 人社厅, police 公安厅, medical 医保局, realestate 不动产,
civil 民政局, bus 公交集团, hpf 住房公积金管理中心.

Point the cloud at it with KFLEET_KIOSK_DEPARTMENTS='{"CODE": {"url": "http://HOST:PORT", "app_id":
"...", "secret": "..."}}'.

Faults: --stall-s holds every answer, --maintenance-min announces a maintenance window of that
many minutes, --malformed answers an HTML error page.
"""


def dept(
    code: Annotated[str, typer.Option(help="Which department: " + ", ".join(SIMULATORS))],
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 0,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    app_id: Annotated[str, typer.Option(help="The app id (client id) we accept.")] = "sim-app",
    secret: Annotated[
        str, typer.Option(help="The app's secret (HMAC key or client secret).")
    ] = "sim-secret",
    stall_s: Annotated[
        float, typer.Option(min=0.0, help="Hold every answer this long, seconds.")
    ] = 0.0,
    maintenance_min: Annotated[
        int, typer.Option(min=0, help="Maintenance window from now, minutes.")
    ] = 0,
    malformed: Annotated[bool, typer.Option(help="Answer an HTML page instead of JSON.")] = False,
) -> None:
    if code not in SIMULATORS:
        typer.echo(f"no department {code!r}; choose one of {', '.join(SIMULATORS)}", err=True)
        raise typer.Exit(2)
    until = datetime.now(UTC) + timedelta(minutes=maintenance_min) if maintenance_min else None
    faults = Faults(stall_s=stall_s, maintenance_until=until, malformed=malformed)
    sim = SIMULATORS[code](app_id=app_id, secret=secret, host=host, port=port, faults=faults)
    try:
        asyncio.run(_serve(sim))
    except KeyboardInterrupt:
        typer.echo(f"department {code} simulator stopped")
    except OSError as err:
        typer.echo(f"cannot start the {code} simulator on {host}:{port}: {err}", err=True)
        raise typer.Exit(1) from err


async def _serve(sim: DeptSimulator) -> None:
    await sim.start()
    typer.echo(f"department {sim.code} listening on {sim.url} (sign-in: {sim.auth})")
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await sim.stop()


def register(app: typer.Typer) -> None:
    """Add the ``dept`` command to a Typer app (``kfleet sim``)."""
    app.command("dept", help=HELP)(dept)
