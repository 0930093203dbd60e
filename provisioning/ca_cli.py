"""``kfleet provision ca``: create the private CA and issue broker/device certificates.

Each failure prints one sentence on stderr and exits with its own code (``provisioning.ca_errors``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from provisioning import ca
from provisioning.ca_errors import CaError

T = TypeVar("T")

app = typer.Typer(
    help="The private CA: create it once, then issue broker and device certificates.",
    no_args_is_help=True,
    add_completion=False,
)
issue_app = typer.Typer(
    help="Issue a certificate signed by the CA (a new key each time).",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(issue_app, name="issue")

CaDir = Annotated[
    Path, typer.Option("--ca-dir", help="The CA's directory (holds ca.key and ca.crt).")
]
OutDir = Annotated[
    Path, typer.Option("--out", help="Directory the new .crt and .key files are written to.")
]
LeafDays = Annotated[
    int, typer.Option("--days", help="How many days the certificate is valid (default 2 years).")
]
Force = Annotated[bool, typer.Option("--force", help="Replace existing files instead of refusing.")]


def _run(action: Callable[[], T]) -> T:
    """Do ``action``; a CA error becomes one line on stderr and its own exit code."""
    try:
        return action()
    except CaError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(err.exit_code) from err


@app.command("init")
def init(
    ca_dir: Annotated[
        Path, typer.Option("--dir", help="Directory to create the CA in (ca.key + ca.crt).")
    ],
    common_name: Annotated[
        str, typer.Option("--cn", help="The CA's name, as shown in every certificate it signs.")
    ] = "kfleet private CA",
    days: Annotated[
        int, typer.Option("--days", help="How many days the CA is valid (default 10 years).")
    ] = ca.CA_DAYS,
    force: Force = False,
) -> None:
    """Create a new private CA; an existing one is never overwritten without --force."""
    made = _run(lambda: ca.init_ca(ca_dir, common_name, days=days, force=force))
    typer.echo(f"CA created: {made.cert} (key {made.key}, mode 0600 — back it up offline)")


@issue_app.command("server")
def issue_server(
    ca_dir: CaDir,
    san: Annotated[
        list[str],
        typer.Option("--san", help="A DNS name or IP address clients connect to (repeatable)."),
    ],
    out: OutDir = Path("."),
    days: LeafDays = ca.LEAF_DAYS,
    force: Force = False,
) -> None:
    """Issue the broker's server certificate (server.crt/server.key) for its names/IPs."""
    made = _run(lambda: ca.issue_server(ca_dir, out, san, days=days, force=force))
    typer.echo(f"server certificate: {made.cert} (key {made.key})")


@issue_app.command("device")
def issue_device(
    ca_dir: CaDir,
    device_id: Annotated[
        str, typer.Option("--device-id", help="The device's id; becomes the certificate's CN.")
    ],
    out: OutDir = Path("."),
    days: LeafDays = ca.LEAF_DAYS,
    force: Force = False,
) -> None:
    """Issue a device's client certificate (<device-id>.crt/.key) for mutual TLS."""
    made = _run(lambda: ca.issue_device(ca_dir, out, device_id, days=days, force=force))
    typer.echo(f"device certificate: {made.cert} (key {made.key})")
