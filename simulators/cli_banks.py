"""``kfleet sim icbc`` and ``kfleet sim ccb``: run a bank's payment gateway simulator until
Ctrl-C. Keys are made fresh at each start and written to ``--keys-dir`` with the settings
that point the cloud at the simulator (nothing secret is printed)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from protocols.bank_sign import new_key_pair
from simulators.ccb_gateway import CcbGatewaySim
from simulators.icbc_gateway import IcbcGatewaySim

ICBC_APP = "10000000000000009001"
KeysDir = Annotated[
    Path, typer.Option(help="Where the fresh keys and the cloud's settings are written.")
]
Port = Annotated[int, typer.Option(help="TCP port (0 = any free port).")]
Host = Annotated[str, typer.Option(help="Address to listen on.")]
Repeats = Annotated[int, typer.Option(min=0, help="Send every notification this many extra times.")]
Late = Annotated[float, typer.Option(min=0.0, help="Hold every notification this many seconds.")]
Maintenance = Annotated[
    int, typer.Option(min=0, help="Answer this many API requests with maintenance first.")
]

ICBC_HELP = """Run the ICBC API开放平台 二维码支付 gateway simulator (docs/pay-banks.md).

It writes icbc.env (KFLEET_ICBC_* settings with the fresh keys) into --keys-dir: load it into
the cloud's environment. The QR's page (/pay/...) is the demo's phone: confirm or cancel.
POST /sim/notify/<order>?forged=1 sends a forged notification.
"""
CCB_HELP = """Run the CCB 聚合支付 gateway and 外联平台 simulator (docs/pay-banks.md).

It writes ccb.env (KFLEET_CCB_* settings with the fresh public key) into --keys-dir; give
--notify-url (the cloud's /api/v1/pay/notify/ccb) as a merchant registers it at CCB.
"""


def _quoted(value: str) -> str:
    """dotenv: a PEM in double quotes with its line breaks as \\n."""
    return '"' + value.replace("\n", "\\n") + '"' if "\n" in value else value


def _write_env(path: Path, values: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={_quoted(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)


def icbc(
    port: Port = 8481,
    host: Host = "127.0.0.1",
    keys_dir: KeysDir = Path("kfleet-sim-keys"),
    repeat_notifies: Repeats = 0,
    late_notify_s: Late = 0.0,
    maintenance: Maintenance = 0,
) -> None:
    private, public = new_key_pair()
    sim = IcbcGatewaySim(apps={ICBC_APP: public}, host=host, port=port)
    sim.notifier.repeats, sim.notifier.late_s = repeat_notifies, late_notify_s
    sim.faults.fail_next("maintenance", maintenance)

    def env() -> dict[str, str]:
        return {
            "KFLEET_ICBC_GATEWAY_URL": sim.url,
            "KFLEET_ICBC_APP_ID": ICBC_APP,
            "KFLEET_ICBC_MER_ID": sim.mer_id,
            "KFLEET_ICBC_PRIVATE_KEY": private,
            "KFLEET_ICBC_GATEWAY_PUBLIC_KEY": sim.gateway_public_pem,
        }

    _run("ICBC gateway", sim, keys_dir / "icbc.env", env)


def ccb(
    port: Port = 8482,
    host: Host = "127.0.0.1",
    keys_dir: KeysDir = Path("kfleet-sim-keys"),
    notify_url: Annotated[
        str, typer.Option(help="The merchant's registered server-notification URL.")
    ] = "",
    repeat_notifies: Repeats = 0,
    late_notify_s: Late = 0.0,
    maintenance: Maintenance = 0,
) -> None:
    sim = CcbGatewaySim(host=host, port=port, notify_url=notify_url)
    sim.notifier.repeats, sim.notifier.late_s = repeat_notifies, late_notify_s
    sim.faults.fail_next("maintenance", maintenance)

    def env() -> dict[str, str]:
        return {
            "KFLEET_CCB_GATEWAY_URL": sim.url,
            "KFLEET_CCB_MERCHANT_ID": sim.merchant_id,
            "KFLEET_CCB_POS_ID": sim.pos_id,
            "KFLEET_CCB_BRANCH_ID": sim.branch_id,
            "KFLEET_CCB_PUBLIC_KEY": sim.public_key_hex,
            "KFLEET_CCB_USER_ID": sim.user_id,
            "KFLEET_CCB_PASSWORD": sim.password,
        }

    _run("CCB gateway", sim, keys_dir / "ccb.env", env)


def _run(
    name: str,
    sim: IcbcGatewaySim | CcbGatewaySim,
    env_file: Path,
    env: Callable[[], dict[str, str]],
) -> None:
    async def serve() -> None:
        async with sim:
            _write_env(env_file, env())
            typer.echo(f"{name} simulator listening on {sim.url} (settings in {env_file})")
            await asyncio.Event().wait()  # until Ctrl-C cancels us

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        typer.echo(f"{name} simulator stopped")
    except OSError as err:
        typer.echo(f"cannot start the {name} simulator on {sim.host}:{sim.port}: {err}", err=True)
        raise typer.Exit(1) from err


def register(app: typer.Typer) -> None:
    """Add ``icbc`` and ``ccb`` to a Typer app (``kfleet sim``)."""
    app.command("icbc", help=ICBC_HELP)(icbc)
    app.command("ccb", help=CCB_HELP)(ccb)
