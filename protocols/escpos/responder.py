"""A printer's side of the status conversation, shared by both printer simulators.

One ``StatusResponder`` per host connection: it answers the status events the decoder yields
(``protocols.escpos.status`` / ``replies`` define the bytes) and, on ``changed()``, sends what
a real printer sends on its own when its condition changes — automatic status back, and the
``GS r`` / ``GS ( H`` answers it held while offline (they are processed in order with the
print data, which an offline printer does not process).
"""

from __future__ import annotations

from protocols.escpos.events import (
    AutoStatus,
    Event,
    PrinterIdQuery,
    ProcessIdQuery,
    RealtimeRequest,
    StatusQuery,
    TransmitStatus,
)
from protocols.escpos.replies import (
    BUFFER_CLEARED,
    CLEAR_BUFFERS,
    POWER_OFF_NOTICE,
    PrinterIdentity,
    asb_items,
    asb_status,
    printer_id,
    transmit_status,
)
from protocols.escpos.status import PrinterCondition, status_byte

STATUS_EVENTS = (
    StatusQuery,
    TransmitStatus,
    ProcessIdQuery,
    AutoStatus,
    PrinterIdQuery,
    RealtimeRequest,
)
InOrder = TransmitStatus | ProcessIdQuery
"""Answered after the data before them is processed: held while the printer is offline."""


def _in_order(event: InOrder, cond: PrinterCondition) -> bytes:
    if isinstance(event, ProcessIdQuery):
        return b"\x37\x22" + event.process_id + b"\x00"
    return transmit_status(event.n, cond)


def clears_buffers(event: Event) -> bool:
    """``DLE ENQ 2`` / ``DLE DC4 fn 8``: the unfinished receipt is thrown away."""
    if not isinstance(event, RealtimeRequest):
        return False
    if event.command == "DLE ENQ":
        return event.fn == 2
    return event.fn == 8 and event.params == CLEAR_BUFFERS


class StatusResponder:
    """Answers status requests for a printer in a given ``PrinterCondition``."""

    def __init__(self, identity: PrinterIdentity | None = None) -> None:
        self.identity = identity or PrinterIdentity()
        self.asb_mask = 0
        self.drawer_pulses = 0
        self.powered_off = False
        self._asb_seen: dict[int, tuple[bool, ...]] = {}
        self._held: list[InOrder] = []  # waiting for the printer to come back online

    def answer(self, event: Event, cond: PrinterCondition) -> bytes:
        """The bytes sent back for ``event`` (``b""``: nothing, now)."""
        if isinstance(event, StatusQuery):
            value = status_byte(event.n, cond)
            return b"" if value is None else bytes([value])
        if isinstance(event, TransmitStatus | ProcessIdQuery):
            if cond.offline or self._held:
                self._held.append(event)
                return b""
            return _in_order(event, cond)
        if isinstance(event, AutoStatus):
            self.asb_mask = event.mask & 0x0F
            self._asb_seen = asb_items(cond)
            return asb_status(cond) if self.asb_mask else b""
        if isinstance(event, PrinterIdQuery):
            return printer_id(event.n, self.identity)
        if isinstance(event, RealtimeRequest):
            return self._realtime(event, cond)
        return b""

    def _realtime(self, event: RealtimeRequest, cond: PrinterCondition) -> bytes:
        if event.command != "DLE DC4":
            return b""  # DLE ENQ: recover from an error; no answer
        if event.fn == 1:
            self.drawer_pulses += 1
        elif event.fn == 2 and event.params == b"\x01\x08":
            self.powered_off = True
            return POWER_OFF_NOTICE
        elif event.fn == 7 and event.params[:1] == b"\x01":
            return asb_status(cond)
        elif event.fn == 8 and event.params == CLEAR_BUFFERS:
            self._held.clear()
            return BUFFER_CLEARED
        return b""

    def changed(self, cond: PrinterCondition) -> bytes:
        """What the printer sends by itself now that it is in ``cond``."""
        out = bytearray()
        if self._held and not cond.offline:
            for event in self._held:
                out += _in_order(event, cond)
            self._held.clear()
        if self.asb_mask:
            now = asb_items(cond)
            if any(now[bit] != self._asb_seen.get(bit) for bit in now if bit & self.asb_mask):
                out += asb_status(cond)
            self._asb_seen = now
        return bytes(out)
