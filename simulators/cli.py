"""``kfleet sim …``: run one simulator by itself.

``kfleet sim fleet`` (many agents, each with its simulators) starts a world, so it lives in
:mod:`kfleet.world.cli` and is added to this sub-app by :mod:`kfleet.cli`.
"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)


def _register_printer() -> None:
    from simulators.cli_printer import register

    register(app)


_register_printer()


def _register_city_queue() -> None:
    from simulators.cli_city_queue import register

    register(app)


_register_city_queue()


def _register_haocha() -> None:
    from simulators.cli_haocha import register

    register(app)


_register_haocha()


def _register_city_platform() -> None:
    from simulators.cli_city_platform import register

    register(app)


_register_city_platform()


def _register_dept() -> None:
    from simulators.cli_dept import register

    register(app)


_register_dept()


def _register_utilities() -> None:
    from simulators.cli_utility import register

    register(app)


_register_utilities()
