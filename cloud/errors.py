"""Errors of the cloud service.

Service code raises these; the REST layer maps them to HTTP statuses and the CLI to exit codes,
so a message must read as a sentence for the operator: what happened, why, what to do.
"""

from __future__ import annotations


class CloudError(Exception):
    """Root of every error raised by ``cloud``."""

    status_code = 500


class ConfigError(CloudError):
    """The settings cannot work (default secret outside demo mode, bad URL, ...)."""


class NotFound(CloudError):
    """The named thing does not exist (HTTP 404)."""

    status_code = 404


class Conflict(CloudError):
    """The request clashes with the current state (HTTP 409)."""

    status_code = 409


class Unprocessable(CloudError):
    """The request is well-formed but cannot be carried out as asked (HTTP 422)."""

    status_code = 422


class BusUnavailable(CloudError):
    """The MQTT connection is down; the caller keeps state so the dispatcher can retry."""

    status_code = 503


class Unauthenticated(CloudError):
    """No credentials, or credentials that are wrong, expired or revoked (HTTP 401).

    ``code`` names which (``no_credentials``, ``bad_token``, ``session_expired``, ...) so a
    client can tell "log in again" from "this token was revoked".
    """

    status_code = 401

    def __init__(self, message: str, code: str = "unauthenticated") -> None:
        super().__init__(message)
        self.code = code


class Forbidden(CloudError):
    """Authenticated, but the role lacks the permission, or the thing is outside the caller's
    site subtree when the caller may know it exists (HTTP 403)."""

    status_code = 403

    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(message)
        self.code = code
