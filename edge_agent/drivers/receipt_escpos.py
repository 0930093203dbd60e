"""The ESC/POS receipt printer driver (network, serial, USB, device file).

A job is: connect → real-time status (``DLE EOT 2`` + ``4``) → *side effect* (one write of
the whole rendered job) → status again → disconnect. Where it stops decides what the job
runner reports:

- before the write (unreachable, paper out, cover open, silent while ``status="required"``)
  → *failed*: nothing was printed, retrying is safe;
- during or after the write (connection dropped, no status reply, paper out / error after)
  → *uncertain*: something may have printed, an operator decides.

One connection per job (many printers accept one TCP client at a time on port 9100, and a
kept-open socket goes stale unnoticed), one ``asyncio.Lock`` per printer so probes never
interleave with jobs, and every blocking call runs in ``asyncio.to_thread``: two hand-offs per
job (connect + status; write + status + disconnect), since each costs the agent CPU.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

from edge_agent.drivers.base import ConfiguredDriver, DriverSpec, PrintReport, health_of
from edge_agent.drivers.escpos_config import (
    EscposConfig,
    EscposFile,
    EscposNetwork,
    EscposSerial,
    EscposUsb,
)
from edge_agent.drivers.escpos_ports import Lost, Port, Unreachable, open_port
from edge_agent.drivers.escpos_render import render_receipt
from edge_agent.errors import PrinterError
from protocols.escpos import PrinterStatus, decode_status, dle_eot
from protocols.escpos.layout import PAPER_58MM, PAPER_80MM
from protocols.jobs import FailureReason, ReceiptParams
from protocols.messages import Health

log = logging.getLogger(__name__)

#: printable dots across each paper roll the config names
PAPER_DOTS = {80: PAPER_80MM, 58: PAPER_58MM}


_REFUSED: dict[PrinterStatus, FailureReason] = {
    PrinterStatus.PAPER_OUT: FailureReason.PAPER_OUT,
    PrinterStatus.COVER_OPEN: FailureReason.COVER_OPEN,
    PrinterStatus.ERROR: FailureReason.PRINTER_ERROR,
    PrinterStatus.NO_REPLY: FailureReason.PRINTER_SILENT,
    PrinterStatus.GARBLED: FailureReason.PRINTER_ERROR,
}
#: how a status that stops a job reads in its error message
_SAID = {
    PrinterStatus.NO_REPLY: "did not answer the status request (DLE EOT)",
    PrinterStatus.GARBLED: "answered the status request (DLE EOT) with a byte that is not a "
    "status byte (line noise, or a wrong baud rate?)",
}


class EscPosReceiptPrinter(ConfiguredDriver):
    """A receipt printer speaking ESC/POS (a :class:`~edge_agent.drivers.base.ReceiptPrinter`)."""

    kind = "receipt_printer"
    cfg: EscposConfig

    def __init__(self, cfg: EscposConfig) -> None:
        self.cfg = cfg
        self._lock = asyncio.Lock()
        self.last_status: PrinterStatus | None = None
        #: ``receipts`` (copies printed), ``bytes`` sent, ``errors.<reason>`` (telemetry)
        self.tally: Counter[str] = Counter()

    async def health(self) -> tuple[Health, str]:
        return health_of(await self.probe())

    async def close(self) -> None:
        """Nothing to close: the driver connects per job and per probe."""

    def counters(self) -> Mapping[str, int]:
        return dict(self.tally)

    async def probe(self) -> PrinterStatus:
        """Connect, ask for the status, disconnect. Never raises."""
        async with self._lock:
            try:
                status = await asyncio.to_thread(self._probe_blocking)
            except Exception:  # a driver bug must not stop the health monitor
                log.exception("printer %s: status probe failed", self.id)
                status = PrinterStatus.UNREACHABLE
        self.last_status = status
        return status

    async def print_receipt(
        self, params: ReceiptParams, on_start: Callable[[], Awaitable[None]]
    ) -> PrintReport:
        """Two hand-offs to a worker thread per job: connect and check the status; then,
        once ``on_start`` has journaled ``running``, write, check again and disconnect."""
        data = render_receipt(params)
        try:
            async with self._lock:
                port, before = await asyncio.to_thread(self._open_and_check)
                try:
                    await self._start(before, on_start)
                except BaseException:
                    await asyncio.to_thread(port.close)
                    raise
                # the thread closes the port itself: a cancelled job never closes it under a
                # write still running
                after = await asyncio.to_thread(self._send_and_close, port, data)
        except PrinterError as err:
            self.tally[f"errors.{err.reason}"] += 1
            raise
        self.tally["receipts"] += params.copies
        self.tally["bytes"] += len(data)
        return PrintReport(
            bytes_sent=len(data),
            status_before=before,
            status_after=after,
            sent=data,
            paper_dots=PAPER_DOTS[self.cfg.paper_mm],
        )

    async def _start(self, before: PrinterStatus, on_start: Callable[[], Awaitable[None]]) -> None:
        """Refuse the job if ``before`` says the printer cannot print, else ``on_start``."""
        self.last_status = before
        refused = _REFUSED.get(before)
        if refused is not None and not (
            before is PrinterStatus.NO_REPLY and self.cfg.status == "best_effort"
        ):
            what = _SAID.get(before, f"reports {before.value}")
            raise PrinterError(
                refused,
                f"printer {self.id} {what}; nothing was printed",
                side_effect_possible=False,
            )
        await on_start()

    # --- blocking parts, run in a worker thread -------------------------------------------

    def _probe_blocking(self) -> PrinterStatus:
        try:
            port = open_port(self.cfg)
        except Unreachable:
            return PrinterStatus.UNREACHABLE
        try:
            return self._status(port)
        except Lost:
            return PrinterStatus.UNREACHABLE
        finally:
            port.close()

    def _open_and_check(self) -> tuple[Port, PrinterStatus]:
        try:
            port = open_port(self.cfg)
        except Unreachable as err:
            reason, what = FailureReason.PRINTER_UNREACHABLE, f"is unreachable: {err}"
            raise self._not_started(reason, what) from err
        try:
            return port, self._status(port)
        except Lost as err:
            port.close()
            what = f"dropped the connection before printing: {err}"
            raise self._not_started(FailureReason.CONNECTION_LOST, what) from err

    def _send_and_close(self, port: Port, data: bytes) -> PrinterStatus:
        """The side effect: write ``data``, read the status after it, disconnect."""
        try:
            port.write(data)
            after = self._status(port)
        except Lost as err:
            self.last_status = PrinterStatus.UNREACHABLE
            raise PrinterError(
                FailureReason.CONNECTION_LOST,
                f"connection to printer {self.id} lost while printing ({err}); "
                "part of the receipt may have printed",
                side_effect_possible=True,
            ) from err
        finally:
            port.close()
        self.last_status = after
        if not after.can_print:
            what = _SAID.get(after, f"reported {after.value}")
            raise PrinterError(
                _REFUSED.get(after, FailureReason.PRINTER_ERROR),
                f"printer {self.id} {what} after {len(data)} bytes were sent; "
                "the receipt may be incomplete or missing",
                side_effect_possible=True,
            )
        return after

    def _not_started(self, reason: FailureReason, what: str) -> PrinterError:
        """The printer could not be reached before anything was sent."""
        self.last_status = PrinterStatus.UNREACHABLE
        return PrinterError(reason, f"printer {self.id} {what}", side_effect_possible=False)

    def _status(self, port: Port) -> PrinterStatus:
        """Real-time status via DLE EOT; raises :class:`Lost` if the connection breaks. One
        unanswered query is asked again before the printer counts as silent: a reply lost
        once (a busy serial line, a printer busy cutting) must not fail a job or raise an
        alert. A late first answer that arrives meanwhile answers the same question."""
        timeout = self.cfg.status_timeout_s
        cause = _ask(port, 2, timeout)
        if cause is None and port.answers:
            self.tally["status_retries"] += 1
            cause = _ask(port, 2, timeout)
        if cause is None:
            return PrinterStatus.NO_REPLY
        port.drain()  # a torn or doubled first answer must not pass for the second
        port.write(dle_eot(4))
        return decode_status(cause, port.read_byte(timeout))


def _ask(port: Port, n: int, timeout: float) -> int | None:
    """Send ``DLE EOT n`` (stale bytes drained first) and read the one-byte answer."""
    port.drain()
    port.write(dle_eot(n))
    return port.read_byte(timeout)


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("escpos_network", "escpos_serial", "escpos_usb", "escpos_file"),
    kind="receipt_printer",
    config=EscposNetwork | EscposSerial | EscposUsb | EscposFile,
    peripheral=EscPosReceiptPrinter,
)
