"""``kfleet cloud``: run the service, migrate the database, seed the pilot sites.

Settings come from ``KFLEET_*`` environment variables; options override a few of them.
Errors end with one clear sentence on stderr and a non-zero exit code.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import socket
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from cloud.errors import CloudError, ConfigError
from cloud.settings import Settings
from cloud.settings_help import epilog

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


_DEFAULTS = Settings.model_fields


@app.command(epilog=epilog())
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
        from cloud.logs import configure as configure_logs
        from cloud.sd_notify import NotifyingServer  # systemd Type=notify + watchdog

        settings = _settings(host=host, port=port, demo=demo or None)
        _check_data_dir(settings.data_dir)
        _check_listen(settings.host, settings.port)
        configure_logs(settings.log_format, settings.log_level)
        server = NotifyingServer(
            uvicorn.Config(
                create_app(settings),
                host=settings.host,
                port=settings.port,
                log_level=settings.log_level,
                log_config=None,  # cloud.logs configured it (json or text, with request ids)
            )
        )
        # Everything loaded so far lives as long as the process: keep it out of the cyclic
        # collector, so a full collection (tens of ms) does not stall requests in flight.
        gc.collect()
        gc.freeze()
        server.run()

    _run(go)


def _check_data_dir(path: Path) -> None:
    """A data directory the service cannot write fails now, in a sentence, not mid-request."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as err:
        raise ConfigError(
            f"cannot use {path} as the data directory (KFLEET_DATA_DIR): "
            f"{err.strerror or err}; point it at a directory the service can write"
        ) from err


def _check_listen(host: str, port: int) -> None:
    """Refuse a host or port the service cannot listen on before anything starts."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            s.bind((host, port))
        except OSError as err:
            if isinstance(err, socket.gaierror) or err.errno == errno.EADDRNOTAVAIL:
                raise ConfigError(
                    f"--host/KFLEET_HOST {host} is not an address of this machine; use "
                    "127.0.0.1, or 0.0.0.0 to listen on every interface"
                ) from err
            raise CloudError(
                f"cannot listen on {host}:{port}: {err.strerror}; stop the program that "
                "uses the port, or choose another with --port/KFLEET_PORT"
            ) from err


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
    """Create the Golmud pilot site tree and its halls' queues, windows and staff (missing
    ones only; safe to repeat)."""

    async def go() -> None:
        from cloud.app import seed_sites
        from cloud.db import migrate as db_migrate
        from cloud.db.session import make_engine, make_sessions
        from cloud.hall.seed import seed_halls

        settings = _settings(demo=True)  # no secrets are used; do not demand one here
        engine = make_engine(settings.database_url)
        try:
            await db_migrate.upgrade(engine)
            async with make_sessions(engine)() as s:
                created = await seed_sites(s)
                halls = await seed_halls(s)
                await s.commit()
        finally:
            await engine.dispose()
        typer.echo(f"pilot sites ready ({created} created); halls ready ({halls} rows created)")

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
