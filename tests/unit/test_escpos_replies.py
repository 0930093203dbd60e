"""What the printer answers besides DLE EOT: GS r, GS a (ASB), GS I, DLE DC4, DLE ENQ.

The bytes follow Epson's "identification of send status": DLE EOT ``0**1**10``, the first ASB
byte ``0**1**00``, GS r / GS I / the other ASB bytes ``0**0****``."""

from __future__ import annotations

import pytest

from protocols.escpos import (
    AutoStatus,
    EscPosDecoder,
    PrinterCondition,
    PrinterIdQuery,
    ProcessIdQuery,
    RealtimeRequest,
    StatusQuery,
    TransmitStatus,
    is_status_byte,
)
from protocols.escpos.replies import (
    PrinterIdentity,
    asb_status,
    is_asb_header,
    printer_id,
    transmit_status,
)
from protocols.escpos.responder import StatusResponder, clears_buffers

OK = PrinterCondition()
NEAR = PrinterCondition(near_end=True)
OUT = PrinterCondition(paper_out=True)


def test_status_requests_decode_to_their_events() -> None:
    decoder = EscPosDecoder()
    data = b"\x1dr\x01\x1dr2\x1da\x0f\x1dI\x43\x10\x05\x02\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"
    data += b"\x10\x04\x07\x01"  # DLE EOT 7 a (ink status): 4 bytes
    assert decoder.feed(data) == [
        TransmitStatus(1),
        TransmitStatus(2),
        AutoStatus(15),
        PrinterIdQuery(67),
        RealtimeRequest("DLE ENQ", 2),
        RealtimeRequest("DLE DC4", 8, b"\x01\x03\x14\x01\x06\x02\x08"),
        StatusQuery(7, 1),
    ]


@pytest.mark.parametrize(
    ("cond", "paper", "drawer"),
    [
        (OK, 0x00, 0x00),
        (NEAR, 0x03, 0x00),
        (OUT, 0x0F, 0x00),
        (PrinterCondition(drawer_high=True), 0x00, 0x01),
    ],
)
def test_gs_r_answers(cond: PrinterCondition, paper: int, drawer: int) -> None:
    assert transmit_status(1, cond) == transmit_status(49, cond) == bytes([paper])
    assert transmit_status(2, cond) == bytes([drawer])
    assert transmit_status(3, cond) == b""


def test_asb_bytes_and_their_fixed_bits() -> None:
    assert asb_status(OK) == b"\x10\x00\x00\x00"
    assert asb_status(PrinterCondition(cover_open=True)) == b"\x38\x00\x00\x00"
    assert asb_status(OUT) == b"\x18\x00\x0f\x00"
    assert asb_status(PrinterCondition(error=True, drawer_high=True)) == b"\x1c\x48\x00\x00"
    for cond in (OK, NEAR, OUT, PrinterCondition(cover_open=True, error=True)):
        first, *rest = asb_status(cond)
        assert is_asb_header(first) and not is_status_byte(first)
        assert all(b & 0x90 == 0 for b in rest)


def test_gs_i_answers() -> None:
    identity = PrinterIdentity(model_id=0x20, type_id=0x03, rom_id=0x01, model="KF-80 SIM")
    assert printer_id(1, identity) == printer_id(49, identity) == b"\x20"
    assert printer_id(2, identity) == b"\x03" and printer_id(3, identity) == b"\x01"
    assert printer_id(67, identity) == b"_KF-80 SIM\x00"
    assert printer_id(66, identity) == b"_KFLEET\x00"
    assert printer_id(69, identity) == b"_CHINA GB18030\x00"
    assert printer_id(4, identity) == b"" and printer_id(0xFF, identity) == b""
    assert printer_id(1, PrinterIdentity(model_id=0xFF)) == b"\x6f"  # bits 4 and 7 forced 0


def test_gs_r_is_held_while_offline_and_sent_in_order_when_back() -> None:
    responder = StatusResponder()
    assert responder.answer(TransmitStatus(1), OUT) == b""
    assert responder.answer(TransmitStatus(2), NEAR) == b""  # queued behind the first
    assert responder.answer(StatusQuery(4), OUT) == b"\x7e"  # real-time: answered at once
    assert responder.changed(OUT) == b""
    assert responder.changed(NEAR) == b"\x03\x00"
    assert responder.changed(NEAR) == b""


def test_gs_paren_h_process_id_answered_in_order() -> None:
    # GS ( H pL pH fn=48 m=48 d1..d4: "37 22 d1..d4 NUL", after what came before it
    [event] = EscPosDecoder().feed(b"\x1d(H\x06\x0000A017")
    assert event == ProcessIdQuery(b"A017")
    responder = StatusResponder()
    assert responder.answer(event, OK) == b"\x37\x22A017\x00"
    assert responder.answer(TransmitStatus(1), OUT) == b""
    assert responder.answer(ProcessIdQuery(b"0002"), NEAR) == b""  # behind the held GS r
    assert responder.changed(NEAR) == b"\x03\x37\x220002\x00"


def test_asb_sent_when_enabled_and_on_each_change_of_an_enabled_item() -> None:
    responder = StatusResponder()
    assert responder.changed(NEAR) == b""  # not enabled
    assert responder.answer(AutoStatus(0x08), OK) == b"\x10\x00\x00\x00"  # paper sensor only
    assert responder.changed(OK) == b""
    assert responder.changed(NEAR) == b"\x10\x00\x03\x00"
    assert responder.changed(PrinterCondition(near_end=True, drawer_high=True)) == b""
    assert responder.changed(OUT) == b"\x18\x00\x0f\x00"
    assert responder.answer(AutoStatus(0), OK) == b""
    assert responder.changed(NEAR) == b""  # disabled again


def test_dle_dc4_and_dle_enq() -> None:
    responder = StatusResponder()
    clear = RealtimeRequest("DLE DC4", 8, b"\x01\x03\x14\x01\x06\x02\x08")
    assert responder.answer(clear, OK) == b"\x37\x25\x00" and clears_buffers(clear)
    power_off = RealtimeRequest("DLE DC4", 2, b"\x01\x08")
    assert responder.answer(power_off, OK) == b"\x3b\x30\x00" and responder.powered_off
    assert responder.answer(RealtimeRequest("DLE DC4", 7, b"\x01"), NEAR) == b"\x10\x00\x03\x00"
    assert responder.answer(RealtimeRequest("DLE DC4", 1, b"\x00\x02"), OK) == b""
    assert responder.drawer_pulses == 1
    assert responder.answer(RealtimeRequest("DLE ENQ", 2), OK) == b""
    assert clears_buffers(RealtimeRequest("DLE ENQ", 2))
    assert not clears_buffers(RealtimeRequest("DLE ENQ", 1))
    assert not clears_buffers(RealtimeRequest("DLE DC4", 8, b"\x01\x02\x03\x04\x05\x06\x07"))
