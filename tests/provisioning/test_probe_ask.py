"""The probes that talk to a device, against our real simulators: the ESC/POS printer on a
pty answers ``DLE EOT 1`` and is recognised; a silent or babbling port is not; the real
ippeveprinter answers Get-Printer-Attributes with its make and model; nobody at an address
is said plainly. The simulator's pty link (``kf-escpos-pty-*``) is named a kfleet simulator
until it answers like a printer."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from kfleet.cli import app
from kfleet.world.net import free_port
from provisioning.probe_ask import ipp_uri, probe_ipp, query_escpos
from provisioning.probe_local import serial_ports
from provisioning.probe_models import Kind
from simulators.escpos_pty import EscPosPtyPrinter
from simulators.ippeveprinter import IppServer


async def _query(path: str, wait_s: float = 2.0) -> tuple[str, str, str]:
    [port] = serial_ports(lister=list, extra=[path])
    found = await asyncio.to_thread(query_escpos, port, wait_s)
    return found.guess.driver, found.guess.label, found.detail["dle_eot_1"]


async def test_the_pty_printer_answers_like_an_escpos_printer() -> None:
    async with EscPosPtyPrinter() as printer:
        driver, label, reply = await _query(printer.path)
        assert (driver, label) == ("escpos_serial", "answers like an ESC/POS printer")
        assert reply == "12"  # DLE EOT 1 → 0x12: online
        assert bytes(printer.stream) == b"\x10\x04\x01"  # the three bytes the docs promise


async def test_a_silent_port_is_not_called_a_printer() -> None:
    async with EscPosPtyPrinter() as printer:
        printer.silent = True
        assert await _query(printer.path, 0.5) == ("", "kfleet simulator", "no answer")


async def test_a_babbling_port_is_not_called_a_printer() -> None:
    async with EscPosPtyPrinter() as printer:
        printer.answers = [b"\xff\x00OK"]
        driver, label, reply = await _query(printer.path)
        assert (driver, label, reply) == ("", "kfleet simulator", "ff004f4b")


async def test_a_port_that_cannot_be_opened_is_reported() -> None:
    async with EscPosPtyPrinter() as printer:
        gone = printer.path
    driver, _, reply = await _query(gone)
    assert driver == "" and reply.startswith("could not ask")


async def test_the_cli_query_finds_the_pty_printer(tmp_path: object) -> None:
    async with EscPosPtyPrinter() as printer:
        args = ["provision", "probe", "--sysfs-root", str(tmp_path), "--port", printer.path]
        result = await asyncio.to_thread(CliRunner().invoke, app, [*args, "--query", "--json"])
    assert result.exit_code == 0, result.output
    [dev] = json.loads(result.output)["devices"]
    assert (dev["where"], dev["guess"]["driver"]) == (printer.path, "escpos_serial")


async def test_the_ipp_printer_gives_its_make_and_model(ipp_printer: IppServer) -> None:
    found = await probe_ipp(ipp_printer.uri)
    assert (found.kind, found.where, found.name) == (Kind.IPP, ipp_printer.uri, "kfleet Test A4")
    assert found.guess.driver == "ipp"
    assert found.detail["health"] == "ok"


async def test_nobody_at_an_ipp_address_is_said_plainly() -> None:
    found = await probe_ipp(f"ipp://127.0.0.1:{free_port()}/ipp/print", timeout_s=2)
    assert (found.guess.driver, found.guess.label) == ("", "no IPP printer here")
    assert found.guess.why  # the reason, in words


def test_a_bare_host_becomes_an_ipp_everywhere_uri() -> None:
    assert ipp_uri("10.0.0.5") == "ipp://10.0.0.5:631/ipp/print"
    assert ipp_uri("10.0.0.5:8631") == "ipp://10.0.0.5:8631/ipp/print"
    assert ipp_uri("ipps://p.example/x") == "ipps://p.example/x"
