"""Errors of the ``kfleet`` command's own work (the demo and the load world).

Each message is one sentence for the person at the terminal: what went wrong, why, and what to
do. The CLI prints it and exits with the error's code, so a script can tell the cases apart:

====  =============================================================
 1    anything else that stopped the demo (``KfleetError``)
 2    an option's value is malformed: port, broker URL, host
 3    the MQTT broker cannot be reached
 4    the data directory cannot be created or written
 5    the console/API port is taken or may not be used
====  =============================================================
"""

from __future__ import annotations


class KfleetError(Exception):
    """Root of every error raised by ``kfleet``; ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(KfleetError):
    """An option's value cannot be right whatever the machine (fix the command line)."""

    exit_code = 2


class BrokerUnreachable(KfleetError):
    """Nothing answers at the broker's address, or it does not let the devices in."""

    exit_code = 3


class DataDirUnusable(KfleetError):
    """The data directory cannot be created or written."""

    exit_code = 4


class PortUnavailable(KfleetError):
    """The console/API cannot listen on the chosen port."""

    exit_code = 5
