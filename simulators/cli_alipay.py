"""``kfleet sim alipay``: run the simulated Alipay open-platform gateway until Ctrl-C."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from simulators.alipay_gateway import GATEWAY_PATH, AlipayGatewaySim
from simulators.alipay_gateway_sign import bare_private, bare_public, new_key
from simulators.cli_serve import run_until_ctrl_c

HELP = """Run a simulated Alipay open-platform gateway (docs/pay-alipay.md) until Ctrl-C.

It prints the cloud settings that point the Alipay channel at it: the gateway URL, an app id,
a fresh app private key (unless --app-public-key names the app's own) and the gateway's public
key. Open the QR code a kiosk shows (a /pay/... URL) in a browser to confirm or cancel.
"""


def alipay(
    port: Annotated[int, typer.Option(help="TCP port (0 = any free port).")] = 8490,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    public_url: Annotated[
        str,
        typer.Option(help="Base URL the QR codes and statements use (default: where it listens)."),
    ] = "",
    app_id: Annotated[
        str, typer.Option(help="The app id the cloud signs with.")
    ] = "2021000100000001",
    app_public_key: Annotated[
        str, typer.Option(help="The app's RSA2 public key (one-line base64); default: make a pair.")
    ] = "",
    stall_s: Annotated[float, typer.Option(min=0.0, help="Hold every answer this long.")] = 0.0,
    maintenance: Annotated[bool, typer.Option(help="Answer 20000 isp.unknow-error.")] = False,
    notify_delay_s: Annotated[
        float, typer.Option(min=0.0, help="Send every notification this much later.")
    ] = 0.0,
    notify_repeats: Annotated[
        int, typer.Option(min=0, max=10, help="Send each notification again this many times.")
    ] = 0,
    bills_same_day: Annotated[bool, typer.Option(help="Serve today's statement too.")] = False,
) -> None:
    app_key = new_key()  # the demo app's, unless the app's own public key is given
    public = app_public_key or bare_public(app_key.public_key())
    private = "" if app_public_key else bare_private(app_key)
    sim = AlipayGatewaySim(
        apps={app_id: public},
        host=host,
        port=port,
        public_url=public_url.rstrip("/"),
        stall_s=stall_s,
        maintenance=maintenance,
        notify_delay_s=notify_delay_s,
        notify_repeats=notify_repeats,
        bills_same_day=bills_same_day,
    )
    run_until_ctrl_c(_serve(sim, app_id, private), "alipay gateway simulator", host, port)


async def _serve(sim: AlipayGatewaySim, app_id: str, app_private: str) -> None:
    await sim.start()
    typer.echo(f"alipay gateway listening on {sim.url}{GATEWAY_PATH}")
    typer.echo(f"the phone: {sim.public_url}/ lists the QR codes waiting to be paid")
    typer.echo(f"KFLEET_ALIPAY_GATEWAY_URL={sim.url}{GATEWAY_PATH}")
    typer.echo(f"KFLEET_ALIPAY_APP_ID={app_id}")
    if app_private:
        typer.echo(f"KFLEET_ALIPAY_APP_PRIVATE_KEY={app_private}")
    typer.echo(f"KFLEET_ALIPAY_PUBLIC_KEY={sim.public_key}")
    try:
        await asyncio.Event().wait()  # until Ctrl-C cancels us
    finally:
        await sim.stop()


def register(app: typer.Typer) -> None:
    """Add the ``alipay`` command to a Typer app (``kfleet sim``)."""
    app.command("alipay", help=HELP)(alipay)
