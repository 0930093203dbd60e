"""Errors of the serial peripheral drivers (call button, 好差评 rating pad).

One root, :class:`SerialDeviceError`: ``reason`` is a short code (a counter label and the
``reason`` of an offline health), ``str(err)`` one sentence: what happened, why, what to do.
pyserial's exceptions are converted at the driver boundary with ``raise ... from err``.
"""

from __future__ import annotations

from edge_agent.errors import AgentError


class SerialDeviceError(AgentError):
    """Root of every error the serial peripheral drivers raise on purpose."""

    def __init__(self, reason: str, what: str, why: str, todo: str) -> None:
        super().__init__(f"{what}: {why}. {todo}")
        self.reason = reason
        self.what = what
        self.why = why
        self.todo = todo


class PortUnavailable(SerialDeviceError):
    """The serial port is missing, could not be opened, or broke (device unplugged)."""


class NoAnswer(SerialDeviceError):
    """The device is connected but did not acknowledge a command (or only sent corrupt frames)."""


class Refused(SerialDeviceError):
    """The device refused a command with a NAK; ``nak`` is its reason (e.g. ``busy``)."""

    def __init__(self, nak: str, what: str, why: str, todo: str) -> None:
        super().__init__(f"refused_{nak}", what, why, todo)
        self.nak = nak


#: where the port or the device may be at fault: what to do (the last part of a message)
_CHECK_PORT = "Check the cable and the port in agent.toml; the agent keeps retrying"


def port_missing(device: str, port: str, detail: str) -> PortUnavailable:
    todo = (
        "Check that it is plugged in and that the port in agent.toml is right (prefer a "
        "/dev/serial/by-id/ path); the agent keeps retrying"
    )
    return PortUnavailable("port_missing", f"{device} on {port} cannot be opened", detail, todo)


def unplugged(device: str, port: str, detail: str) -> PortUnavailable:
    why = f"the serial port failed ({detail}): cable pulled or USB adapter reset"
    todo = "Plug it back in; the agent reconnects by itself when the port comes back"
    return PortUnavailable("unplugged", f"{device} on {port} was disconnected", why, todo)


def not_connected(device: str, port: str, reason: str) -> PortUnavailable:
    why = f"the port is not open ({reason or 'not started'})"
    what = f"{device} on {port} is not connected"
    return PortUnavailable(reason or "not_connected", what, why, _CHECK_PORT)


def no_ack(device: str, what: str, tries: int) -> NoAnswer:
    return NoAnswer(
        "no_ack",
        f"{device} did not acknowledge {what}",
        f"no ACK after {tries} tries although the port is open",
        "Check the cable and that baudrate in agent.toml matches the device; power-cycle it",
    )


def corrupt_frames(device: str, what: str, count: int) -> NoAnswer:
    why = (
        f"{count} frame(s) failed the CRC check (electrical noise, a bad cable or a wrong baudrate)"
    )
    todo = "Replace or shorten the cable and check baudrate; the answer was lost, ask again"
    return NoAnswer(
        "corrupt_frames", f"{device} answered {what} only with corrupt frames", why, todo
    )


def refused(device: str, what: str, nak: str) -> Refused:
    todo = "If it says busy, cancel what it is showing; otherwise update its firmware"
    return Refused(nak, f"{device} refused {what}", f"it answered NAK '{nak}'", todo)
