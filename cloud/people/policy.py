"""The settings people management runs with, taken once from :class:`cloud.settings.Settings`."""

from __future__ import annotations

from dataclasses import dataclass

from cloud.people.passwords import HashParams, Passwords, passwords_for
from cloud.settings_identity import IdentitySettings


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int
    lockout_s: int
    idle_s: int
    absolute_s: int


def login_policy(settings: IdentitySettings) -> LoginPolicy:
    return LoginPolicy(
        settings.login_max_failures,
        settings.login_lockout_s,
        settings.session_idle_s,
        settings.session_absolute_s,
    )


def passwords(settings: IdentitySettings) -> Passwords:
    return passwords_for(
        HashParams(
            settings.password_time_cost,
            settings.password_memory_kib,
            settings.password_parallelism,
        )
    )
