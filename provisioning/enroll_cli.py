"""``kfleet provision enroll|status|rotate``: a progress line per step on stdout, one error
sentence on stderr and its own exit code (``provisioning.enroll_errors``, docs/provisioning.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from provisioning import device_calls
from provisioning.bulk import bulk
from provisioning.clock import iso
from provisioning.enroll import EnrollOptions, enroll, summary
from provisioning.enroll_errors import ProvisionError, SomeRowsFailed

T = TypeVar("T")
DEFAULT_CONFIG = Path("/etc/kfleet/agent.toml")

ConfigOpt = Annotated[
    Path, typer.Option("--config", "-c", help="The agent's TOML file (written mode 0600).")
]


def run_step(action: Callable[[], T]) -> T:
    """Do ``action``; a provisioning error becomes one line on stderr and its exit code."""
    try:
        return action()
    except ProvisionError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(err.exit_code) from err


def progress(step: str) -> None:
    typer.echo(f"… {step}")


def enroll_cmd(
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="KFLEET_ENROLL_TOKEN",
            help="The one-time token kfe_… (or $KFLEET_ENROLL_TOKEN: not in shell history).",
        ),
    ] = None,
    cloud: Annotated[
        str | None, typer.Option("--cloud", help="The cloud's address, https://…")
    ] = None,
    qr: Annotated[
        str | None, typer.Option("--qr", help="The scanned QR code's text (kfleet-enroll:?…).")
    ] = None,
    config: ConfigOpt = DEFAULT_CONFIG,
    device_id: Annotated[
        str | None,
        typer.Option("--device-id", help="Id to propose (a token for a planned device fixes it)."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="Name to propose, e.g. 1号自助终端.")] = "",
    ca_file: Annotated[
        Path | None,
        typer.Option("--ca-file", help="PEM of the CA that signed the cloud's (and broker's) TLS."),
    ] = None,
    data_dir: Annotated[
        Path,
        typer.Option("--data-dir", help="The agent's data directory, if the config has none."),
    ] = Path("/var/lib/kfleet-agent"),
) -> None:
    """Enroll this device with a one-time token, write the agent's config, prove it connects."""
    opts = EnrollOptions(
        config=config,
        data_dir=data_dir,
        token=token,
        cloud=cloud,
        qr=qr,
        device_id=device_id,
        name=name,
        ca_file=ca_file,
    )
    done = run_step(lambda: enroll(opts, progress))
    typer.echo(summary(done))


def status_cmd(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """What the cloud knows of this device: id, site, role, online, revoked, credential age."""
    me, offset = run_step(lambda: device_calls.status(config))
    typer.echo(device_calls.describe(me, offset, config))


def rotate_cmd(config: ConfigOpt = DEFAULT_CONFIG) -> None:
    """New credentials from the cloud, written into the config; the running agent takes them
    at its next reconnect (no restart)."""
    new = run_step(lambda: device_calls.rotate(config, progress))
    typer.echo(
        f"rotated: the new password is in {config} and works on the broker; the old one is "
        f"accepted over HTTP until {iso(new.old_valid_until_ms)}"
    )


def bulk_cmd(
    plan: Annotated[Path, typer.Argument(help="CSV: device_id,name,site,role[,ttl_days].")],
    cloud: Annotated[str, typer.Option("--cloud", help="The cloud's address, https://…")],
    out: Annotated[Path, typer.Option("--out", help="The A4 PDF sheet of QR codes to write.")],
    token_env: Annotated[
        str, typer.Option("--token-env", help="Environment variable holding the API token.")
    ] = "KFLEET_API_TOKEN",
    tokens_out: Annotated[
        Path | None, typer.Option("--tokens-out", help="Also write the tokens as CSV (0600).")
    ] = None,
    ca_file: Annotated[
        Path | None, typer.Option("--ca-file", help="PEM of the CA that signed the cloud's TLS.")
    ] = None,
) -> None:
    """Mint an enrollment token per planned device and print them as QR codes on A4."""
    api_token = os.environ.get(token_env, "")
    result = run_step(lambda: bulk(plan, cloud, api_token, out, tokens_out, progress, ca_file))
    for row in result.bad:
        typer.echo(f"error: {plan}: line {row.line}: {row.why}", err=True)
    typer.echo(f"{len(result.minted)} token(s) minted, {len(result.bad)} row(s) refused")
    if result.bad:
        failed = SomeRowsFailed(f"{len(result.bad)} row(s) refused; fix them and run again")
        raise typer.Exit(failed.exit_code)
