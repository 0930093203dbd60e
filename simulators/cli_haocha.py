"""``kfleet sim haocha``: run the provincial 好差评 platform simulator until Ctrl-C."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from simulators.cli_serve import run_until_ctrl_c
from simulators.haocha_platform import Faults, HaochaPlatform

HELP = """Run the provincial 好差评 platform's HTTP API (docs/haocha.md) until Ctrl-C.

Point the cloud at it with KFLEET_HAOCHA_URL=http://HOST:PORT, KFLEET_HAOCHA_APP_ID and
KFLEET_HAOCHA_SECRET. The fault rates (0..1, seeded) make a share of submits fail with a 503,
a 429 with Retry-After, a hang, a dropped connection or a slow answer.
"""


def _rate(what: str) -> object:
    return typer.Option(min=0.0, max=1.0, help=f"Share of submits (0..1) that {what}.")


def haocha(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8460,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    app_id: Annotated[str, typer.Option(help="The app id the cloud signs with.")] = "sim-app",
    secret: Annotated[str, typer.Option(help="The app's HMAC secret.")] = "sim-secret",
    error_rate: Annotated[float, _rate("answer 503")] = 0.0,
    rate_limit_rate: Annotated[float, _rate("answer 429 with Retry-After")] = 0.0,
    hang_rate: Annotated[float, _rate("hang")] = 0.0,
    drop_rate: Annotated[float, _rate("drop the connection")] = 0.0,
    slow_rate: Annotated[float, _rate("answer slowly")] = 0.0,
    slow_s: Annotated[float, typer.Option(help="Delay of a slow answer, seconds.")] = 0.5,
    hang_s: Annotated[float, typer.Option(help="How long a hung request hangs, seconds.")] = 30.0,
    retry_after_s: Annotated[int, typer.Option(help="Retry-After of a 429, seconds.")] = 1,
    seed: Annotated[int, typer.Option(help="Seed for the fault dice.")] = 0,
) -> None:
    rates = (error_rate, rate_limit_rate, hang_rate, drop_rate, slow_rate)
    if sum(rates) > 1.0:
        typer.echo("the fault rates add up to more than 1; lower some", err=True)
        raise typer.Exit(2)
    faults = Faults(*rates, slow_s=slow_s, hang_s=hang_s, retry_after_s=retry_after_s, seed=seed)
    platform = HaochaPlatform(apps={app_id: secret}, faults=faults, host=host, port=port)
    run_until_ctrl_c(_serve(platform), "好差评 platform simulator", host, port)


async def _serve(platform: HaochaPlatform) -> None:
    await platform.start()
    typer.echo(f"好差评 platform listening on {platform.url} (POST /api/evaluation/v1/ratings)")
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await platform.stop()


def register(app: typer.Typer) -> None:
    """Add the ``haocha`` command to a Typer app (``kfleet sim``)."""
    app.command("haocha", help=HELP)(haocha)
