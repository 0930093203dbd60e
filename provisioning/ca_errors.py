"""Errors of the private CA, each one sentence (what, why, what to do) with its own exit code,
so a technician's script can tell the cases apart:

====  =============================================================
 1    anything else (``CaError``)
 2    bad input: device id, SAN, validity days, common name
 3    the CA directory or its files are missing (run ``ca init``)
 4    the CA or the certificate already exists (``--force`` replaces it)
 5    the CA key cannot be read, is not a key, or others may read it
 6    the output directory cannot be created or written
====  =============================================================
"""

from __future__ import annotations


class CaError(Exception):
    """Root of the CA's errors; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class BadInput(CaError):
    """A value on the command line cannot be right (a device id, a SAN, a number of days)."""

    exit_code = 2


class CaMissing(CaError):
    """The CA directory or its ``ca.key``/``ca.crt`` do not exist."""

    exit_code = 3


class AlreadyExists(CaError):
    """Files that would be overwritten exist; nothing was changed."""

    exit_code = 4


class CaKeyUnusable(CaError):
    """The CA key cannot be read, does not parse, or has too open permissions."""

    exit_code = 5


class DirNotWritable(CaError):
    """The directory the files go to cannot be created or written."""

    exit_code = 6
