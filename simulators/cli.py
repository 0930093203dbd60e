"""``kfleet sim …``: run one simulator by itself.

``kfleet sim fleet`` (many agents, each with its simulators) starts a world, so it lives in
:mod:`kfleet.world.cli` and is added to this sub-app by :mod:`kfleet.cli`.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)

#: each simulator's command module; its ``register(app)`` adds its command(s). One line per
#: simulator: a new one adds its own line.
COMMANDS = [
    "simulators.cli_printer",
    "simulators.cli_city_queue",
    "simulators.cli_haocha",
    "simulators.cli_city_platform",
    "simulators.cli_dept",
    "simulators.cli_identity_platform",
    "simulators.cli_alipay",
    "simulators.cli_face_verify",  # elderly: 人脸核验 for the 高龄补贴 certification
    "simulators.cli_license_library",  # certs: the 电子证照库
    "simulators.cli_banks",  # banks: the ICBC and CCB gateways
    "simulators.cli_utility",  # paycore: the water, power, gas and landline bills
]

for _module in COMMANDS:
    importlib.import_module(_module).register(app)
