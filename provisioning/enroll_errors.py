"""Errors of ``kfleet provision enroll|status|rotate|bulk``: one sentence each (what happened,
why, what to do) and an exit code of its own, so a technician's script can tell them apart.

The codes are listed in docs/provisioning.md; they start at 10 so they never collide with the
CA's (``provisioning.ca_errors``: 1–6) or typer's usage error (2).
"""

from __future__ import annotations


class ProvisionError(Exception):
    """Root of these errors; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class BadToken(ProvisionError):
    """The token or QR text is malformed (checked locally; nothing was sent)."""

    exit_code = 10


class BadInput(ProvisionError):
    """Another value on the command line cannot be right (device id, cloud URL, CA file)."""

    exit_code = 11


class ConfigNotWritable(ProvisionError):
    """The agent's config file (or its directory) cannot be written."""

    exit_code = 12


class TokenUnknown(ProvisionError):
    exit_code = 13


class TokenUsed(ProvisionError):
    exit_code = 14


class TokenExpired(ProvisionError):
    exit_code = 15


class TokenRevoked(ProvisionError):
    exit_code = 16


class SiteUnknown(ProvisionError):
    """The token's site no longer exists in the cloud."""

    exit_code = 17


class DeviceConflict(ProvisionError):
    """The device id is already taken by another enrolled device."""

    exit_code = 18


class ClockWrong(ProvisionError):
    """The local clock is off by more than the allowed skew (or TLS says a certificate is not
    valid now, which a wrong clock explains)."""

    exit_code = 19


class TlsNameMismatch(ProvisionError):
    """The server's certificate does not name the address dialled."""

    exit_code = 20


class TlsUntrusted(ProvisionError):
    """The server's certificate is not signed by a CA we trust (give --ca-file)."""

    exit_code = 21


class CloudUnreachable(ProvisionError):
    exit_code = 22


class CloudRefused(ProvisionError):
    """The cloud answered with an error this tool has no specific code for."""

    exit_code = 23


class BrokerUnreachable(ProvisionError):
    exit_code = 24


class BrokerRefused(ProvisionError):
    """The broker answered CONNECT with "not authorized" / "bad username or password"."""

    exit_code = 25


class NotEnrolled(ProvisionError):
    """No config, or a config without device credentials (``status``, ``rotate``)."""

    exit_code = 26


class DeviceRevoked(ProvisionError):
    """The cloud says this device was revoked, or no longer accepts its credentials."""

    exit_code = 27


class ApiTokenRefused(ProvisionError):
    """``bulk``: the API token is missing, wrong, or lacks ``devices.enroll``."""

    exit_code = 28


class SomeRowsFailed(ProvisionError):
    """``bulk``: the good rows were done, but at least one row was refused."""

    exit_code = 29
