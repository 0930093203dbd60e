"""``kfleet cloud admin``: the first administrator and the way back in, on the cloud's host.

``create`` makes an administrator (password from stdin with ``--password-stdin``, else a
strong one is generated and printed once); ``reset-password`` and ``unlock`` help a person
locked out of the console. Every action is in the audit log as ``cli:<os user>``.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.cli import _run, _settings, _wrap_db
from cloud.people import first_admin
from cloud.people.acting import Acting
from cloud.people.policy import passwords
from cloud.settings import Settings

Sessions = async_sessionmaker[AsyncSession]
Work = Callable[[Sessions, Settings], Awaitable[None]]

admin_app = typer.Typer(
    help="People on the cloud's host: the first administrator, password resets, unlocking.",
    no_args_is_help=True,
    add_completion=False,
)

PasswordStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin",
        help="Read the password from stdin (one line); without it a strong one is generated "
        "and printed.",
    ),
]


def _stdin_password(use: bool) -> str | None:
    if not use:
        return None
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        typer.secho("error: --password-stdin given but stdin is empty", err=True, fg="red")
        raise typer.Exit(2)
    return line


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _with_db(work: Work) -> None:
    """Run ``work(sessions, settings)`` on a migrated database."""

    async def go() -> None:
        from cloud.db import migrate as db_migrate
        from cloud.db.session import make_engine, make_sessions

        settings = _settings()
        engine = make_engine(settings.database_url)
        try:
            await db_migrate.upgrade(engine)
            await work(make_sessions(engine), settings)
        finally:
            await engine.dispose()

    _run(lambda: asyncio.run(_wrap_db(go())))


def _say_password(username: str, generated: str | None) -> None:
    if generated is None:
        typer.echo(f"the password of {username} is set")
        return
    typer.echo(f"password for {username}: {generated}")
    typer.echo("it is shown only now; the console asks for a new one at the first login")


@admin_app.command()
def create(
    username: Annotated[str, typer.Option(help="The administrator's username.")],
    password_stdin: PasswordStdin = False,
    scope: Annotated[str, typer.Option(help="Site subtree they administer.")] = "qh",
) -> None:
    """Create an administrator (the first one, or another)."""
    password = _stdin_password(password_stdin)

    async def work(sessions: Sessions, settings: Settings) -> None:
        acting = Acting.cli(_os_user())
        generated = await first_admin.create_admin(
            sessions, passwords(settings), acting, username, password, scope
        )
        typer.echo(f"administrator {username.strip().lower()} created over {scope}")
        _say_password(username, generated)

    _with_db(work)


@admin_app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument(help="Whose password to reset.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a new password (their sessions end, a lock-out is lifted)."""
    password = _stdin_password(password_stdin)

    async def work(sessions: Sessions, settings: Settings) -> None:
        acting = Acting.cli(_os_user())
        generated = await first_admin.reset_password(
            sessions, passwords(settings), acting, username, password
        )
        _say_password(username, generated)

    _with_db(work)


@admin_app.command()
def unlock(username: Annotated[str, typer.Argument(help="Whose lock-out to lift.")]) -> None:
    """Lift a lock-out after failed logins."""

    async def work(sessions: Sessions, settings: Settings) -> None:
        await first_admin.unlock(sessions, Acting.cli(_os_user()), username)
        typer.echo(f"{username} is unlocked")

    _with_db(work)
