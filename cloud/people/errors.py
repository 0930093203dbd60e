"""Errors of people management, each with a stable ``code`` for clients and the console."""

from __future__ import annotations

from datetime import datetime

from cloud.errors import Unauthenticated, Unprocessable


class PasswordRejected(Unprocessable):
    """The new password breaks the policy (HTTP 422, code ``weak_password``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = "weak_password"


class AccountLocked(Unauthenticated):
    """Too many failed logins: the account is locked until ``until`` (HTTP 423)."""

    status_code = 423

    def __init__(self, username: str, until: datetime) -> None:
        super().__init__(
            f"the account {username!r} is locked after too many failed logins until "
            f"{until:%Y-%m-%d %H:%M:%S} UTC; wait until then or ask an administrator to "
            "unlock it",
            "account_locked",
        )
        self.until = until


#: One message for a wrong password and an unknown user: it never says which.
BAD_LOGIN = (
    "the username or the password is wrong; check both (and the keyboard layout) and try "
    "again — after repeated failures the account is locked for a while"
)


def bad_login() -> Unauthenticated:
    return Unauthenticated(BAD_LOGIN, "bad_login")
