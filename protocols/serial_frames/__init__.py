"""Serial line protocol shared by the call button and the 好差评 rating pad. Pure: no I/O.

One frame on the wire (``docs/serial-peripherals.md`` is the full contract)::

    STX | stuffed( VER SEQ TYPE LEN_hi LEN_lo PAYLOAD[LEN] CRC_hi CRC_lo ) | ETX

STX=0x02 and ETX=0x03 never occur inside a frame: 0x02, 0x03 and DLE=0x10 in the body are sent
as DLE followed by the byte XOR 0x20. So every STX starts a new frame; a decoder resynchronises
on the next STX after any garbage, and garbage can never swallow the frame that follows it.
CRC is CRC-16/CCITT-FALSE over the unstuffed VER..PAYLOAD, big-endian. PAYLOAD is a UTF-8
JSON object validated by the model registered for TYPE.

:class:`FrameDecoder` is incremental and never raises: its output depends only on the bytes
fed, never on how they were chunked.
"""

from protocols.serial_frames.framing import (
    DLE,
    ETX,
    GARBAGE_REPORT,
    MAX_PAYLOAD,
    STX,
    VERSION,
    ButtonNo,
    CaseNo,
    DeviceKind,
    Frame,
    FrameDecoder,
    FrameError,
    MsgType,
    Reject,
    SeqWindow,
    crc16,
    encode_frame,
)
from protocols.serial_frames.messages import (
    RATING_NAMES,
    REASON_NAMES,
    Ack,
    Beep,
    ButtonEvt,
    ButtonKind,
    Cancel,
    Heartbeat,
    LedMode,
    Message,
    Nak,
    NakReason,
    PadStatus,
    RateRequest,
    RatingAnswer,
    Reason,
    SetLed,
    StatusQuery,
    Sync,
    decode_message,
    encode_message,
    is_reliable_type,
    nak_for,
    payload_of,
)

__all__ = [
    "DLE",
    "ETX",
    "GARBAGE_REPORT",
    "MAX_PAYLOAD",
    "RATING_NAMES",
    "REASON_NAMES",
    "STX",
    "VERSION",
    "Ack",
    "Beep",
    "ButtonEvt",
    "ButtonKind",
    "ButtonNo",
    "Cancel",
    "CaseNo",
    "DeviceKind",
    "Frame",
    "FrameDecoder",
    "FrameError",
    "Heartbeat",
    "LedMode",
    "Message",
    "MsgType",
    "Nak",
    "NakReason",
    "PadStatus",
    "RateRequest",
    "RatingAnswer",
    "Reason",
    "Reject",
    "SeqWindow",
    "SetLed",
    "StatusQuery",
    "Sync",
    "crc16",
    "decode_message",
    "encode_frame",
    "encode_message",
    "is_reliable_type",
    "nak_for",
    "payload_of",
]
