"""``kfleet cloud``: run the service, migrate the database, seed the pilot sites.

Settings come from ``KFLEET_*`` environment variables; options override a few of them.
Errors end with one clear sentence on stderr and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import types
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, Union, get_args, get_origin

import annotated_types
import typer
from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo

from cloud.errors import CloudError, ConfigError
from cloud.settings import Settings

app = typer.Typer(
    help="The central fleet service: REST API + console, MQTT bus worker, job dispatcher.",
    no_args_is_help=True,
    add_completion=False,
)

T = TypeVar("T")

#: Exit codes: 2 = settings are wrong, 3 = the service failed.
EXIT_CONFIG, EXIT_FAILED = 2, 3


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as err:
        problems = "; ".join(
            f"KFLEET_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(f"the settings are invalid: {problems}") from err


def _run(fn: Callable[[], T]) -> T:
    """Run ``fn`` turning our errors into a message and an exit code."""
    try:
        return fn()
    except ConfigError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_CONFIG) from err
    except CloudError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_FAILED) from err
    except OSError as err:
        typer.secho(f"error: {err}", err=True, fg=typer.colors.RED)
        raise typer.Exit(EXIT_FAILED) from err


class SettingRow(NamedTuple):
    """One setting as ``kfleet cloud run --help`` and ``docs/settings.md`` show it."""

    name: str
    env: str
    type: str
    default: str
    meaning: str


def setting_rows() -> list[SettingRow]:
    """Every setting, read from the :class:`Settings` model's fields and descriptions, so the
    help text and ``docs/settings.md`` can never miss one (``tests/unit/test_settings_doc.py``)."""
    return [
        SettingRow(name, f"KFLEET_{name.upper()}", _type(f), _default(f), f.description or "")
        for name, f in Settings.model_fields.items()
    ]


def _type(field: FieldInfo) -> str:
    """The field's type in words, with its bounds (``integer 1..100``, ``number > 0``)."""
    ann: Any = field.annotation
    optional = False
    if get_origin(ann) in (Union, types.UnionType):
        args = [a for a in get_args(ann) if a is not type(None)]
        ann, optional = args[0], len(args) < len(get_args(ann))
    if get_origin(ann) is Literal:
        text = " | ".join(str(a) for a in get_args(ann))
    else:
        names: dict[Any, str] = {
            Path: "path",
            str: "text",
            int: "integer",
            float: "number",
            bool: "true/false",
            SecretStr: "secret",
        }
        text = names.get(ann, str(ann))
    bounds = {type(m): m for m in field.metadata}
    low, high = bounds.get(annotated_types.Ge), bounds.get(annotated_types.Le)
    if low is not None and high is not None:
        text += f" {low.ge}..{high.le}"
    elif low is not None:
        text += f" >= {low.ge}"
    elif (gt := bounds.get(annotated_types.Gt)) is not None:
        text += f" > {gt.gt}" + (f", <= {high.le}" if high is not None else "")
    elif high is not None:
        text += f" <= {high.le}"
    return f"{text}, optional" if optional else text


def _default(field: FieldInfo) -> str:
    """The default as an operator would type it; never the placeholder secret itself."""
    value = field.default
    if isinstance(value, SecretStr):
        return "placeholder"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if str(value) else "empty"


def _epilog() -> str:
    """The settings part of ``kfleet cloud run --help``: one paragraph per setting."""
    lines = [
        "Settings: environment variables (or a .env file in the working directory); "
        "--host, --port and --demo override theirs. Full table: docs/settings.md."
    ]
    lines += [f"{r.env}={r.default} ({r.type}): {r.meaning}" for r in setting_rows()]
    return "\n\n".join(lines)


_DEFAULTS = Settings.model_fields


@app.command(epilog=_epilog())
def run(
    host: Annotated[
        str | None,
        typer.Option(help=f"Listen address [KFLEET_HOST, default {_DEFAULTS['host'].default}]."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help=f"Listen port [KFLEET_PORT, default {_DEFAULTS['port'].default}]."),
    ] = None,
    demo: Annotated[
        bool, typer.Option(help="Allow the default secret (throwaway setups only).")
    ] = False,
) -> None:
    """Serve the API, the console at / and the MQTT worker until Ctrl-C."""

    def go() -> None:
        import uvicorn

        from cloud.app import create_app

        settings = _settings(host=host, port=port, demo=demo or None)
        logging.basicConfig(
            level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s"
        )
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level,
            )
        )
        # Everything loaded so far lives as long as the process: keep it out of the cyclic
        # collector, so a full collection (tens of ms) does not stall requests in flight.
        gc.collect()
        gc.freeze()
        server.run()

    _run(go)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the newest revision."""

    async def go() -> None:
        from cloud.db import migrate as db_migrate
        from cloud.db.session import make_engine

        settings = _settings()
        engine = make_engine(settings.database_url)
        try:
            await db_migrate.upgrade(engine)
        finally:
            await engine.dispose()
        typer.echo(f"database is at the newest schema ({_safe(settings.database_url)})")

    _run(lambda: asyncio.run(_wrap_db(go())))


@app.command("seed-pilot")
def seed_pilot() -> None:
    """Create the Golmud pilot site tree (missing sites only; safe to repeat)."""

    async def go() -> None:
        from cloud.app import seed_sites
        from cloud.context import build

        settings = _settings(demo=True)  # no secrets are used; do not demand one here
        cloud = build(settings)
        try:
            created = await seed_sites(cloud)
        finally:
            await cloud.engine.dispose()
        typer.echo(f"pilot sites ready ({created} created)")

    _run(lambda: asyncio.run(_wrap_db(go())))


async def _wrap_db(coro: Any) -> None:
    """Database driver errors become one sentence naming the database."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        await coro
    except SQLAlchemyError as err:
        raise CloudError(
            f"the database could not be used: {err.__class__.__name__}: "
            f"{str(err).splitlines()[0]}; check KFLEET_DATABASE_URL and that the server runs"
        ) from err


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
