"""The probes that talk to a device: ``DLE EOT 1`` to a serial port or printer node (does it
answer like an ESC/POS printer?) and IPP Get-Printer-Attributes to a network printer.

Writing to an unknown port can disturb whatever is on it, so the CLI sends ``DLE EOT`` only
when asked (``--query``); three bytes that an ESC/POS printer answers in real time and other
devices ignore or reject.
"""

from __future__ import annotations

import dataclasses
import os
import select
import termios
import time
import tty
from typing import Any

from pyipp.enums import IppOperation
from pyipp.exceptions import IPPError

from edge_agent.drivers.a4_ipp import printer_health
from edge_agent.drivers.ipp_client import Client, describe
from protocols.escpos.status import dle_eot
from provisioning.probe_known import by_escpos_answer
from provisioning.probe_models import Finding, Guess, Kind

IPP_ATTRS = [
    "printer-make-and-model",
    "printer-name",
    "printer-state",
    "printer-state-reasons",
    "printer-is-accepting-jobs",
]


def ask_escpos(path: str, timeout_s: float = 1.0, baudrate: int = 9600) -> bytes:
    """Send ``DLE EOT 1`` to ``path`` and return what came back within ``timeout_s`` (b"" if
    nothing). A tty is put in raw mode at ``baudrate`` first. OSError if it cannot open or write."""
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        if os.isatty(fd):
            tty.setraw(fd)
            speed = getattr(termios, f"B{baudrate}", termios.B9600)
            attrs = termios.tcgetattr(fd)
            attrs[4] = attrs[5] = speed
            termios.tcsetattr(fd, termios.TCSANOW, attrs)
        os.write(fd, dle_eot(1))
        return _read_for(fd, timeout_s)
    finally:
        os.close(fd)


def _read_for(fd: int, timeout_s: float) -> bytes:
    """Bytes read until ``timeout_s`` passes or a short pause after the first byte."""
    deadline, got = time.monotonic() + timeout_s, b""
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([fd], [], [], min(left, 0.2) if got else left)
        if not ready:
            if got:
                break
            continue
        try:
            chunk = os.read(fd, 64)
        except BlockingIOError:
            continue
        if not chunk:
            break
        got += chunk
    return got


def query_escpos(finding: Finding, timeout_s: float = 1.0, baudrate: int = 9600) -> Finding:
    """``finding`` with its guess replaced if the port answered like an ESC/POS printer, and
    what it answered in ``detail["dle_eot_1"]``."""
    try:
        reply = ask_escpos(finding.where, timeout_s, baudrate)
    except OSError as err:
        detail = {**finding.detail, "dle_eot_1": f"could not ask: {err.strerror or err}"}
        return dataclasses.replace(finding, detail=detail)
    detail = {**finding.detail, "dle_eot_1": reply.hex() or "no answer"}
    guess = by_escpos_answer(reply)
    if guess and finding.kind is Kind.USB_PRINTER_NODE:
        guess = dataclasses.replace(guess, driver="escpos_file")
    return dataclasses.replace(finding, guess=guess or finding.guess, detail=detail)


async def probe_ipp(uri: str, timeout_s: float = 5.0) -> Finding:
    """Get-Printer-Attributes from ``uri``: its make and model and state, or why it failed."""
    try:
        async with Client(uri, request_timeout=max(1, round(timeout_s))) as ipp:
            resp = await ipp.execute(
                IppOperation.GET_PRINTER_ATTRIBUTES,
                {"operation-attributes-tag": {"requested-attributes": IPP_ATTRS}},
            )
    except IPPError as err:
        guess = Guess("", "no IPP printer here", describe(err))
        return Finding(Kind.IPP, uri, guess=guess)
    attrs: dict[str, Any] = (resp.get("printers") or [{}])[0]
    model = str(attrs.get("printer-make-and-model") or attrs.get("printer-name") or "")
    health, why = printer_health(attrs)
    detail = {"health": str(health.value), "state": why or "idle"}
    guess = Guess("ipp", "IPP A4 printer", "answered Get-Printer-Attributes")
    return Finding(Kind.IPP, uri, model, guess=guess, detail=detail)


def ipp_uri(host: str) -> str:
    """A bare host (``10.0.0.5`` or ``10.0.0.5:8631``) as the usual IPP Everywhere URI."""
    if "://" in host:
        return host
    return f"ipp://{host if ':' in host else host + ':631'}/ipp/print"
