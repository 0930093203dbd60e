"""ESC/POS on the wire: the byte-stream decoder (events → receipts) and the ``DLE EOT``
real-time status codec, shared by the agent's receipt driver and the printer simulator."""

from protocols.escpos.decoder import CODE_PAGES, MAX_DATA, EscPosDecoder, decode_text
from protocols.escpos.events import (
    Align,
    Barcode,
    ChineseMode,
    CodePage,
    Command,
    Cut,
    Event,
    Feed,
    Init,
    QrCode,
    StatusQuery,
    Style,
    Text,
    Unknown,
)
from protocols.escpos.receipts import (
    LineMeta,
    Receipt,
    ReceiptBuilder,
    decode_receipt,
    decode_receipts,
)
from protocols.escpos.status import (
    PrinterCondition,
    PrinterStatus,
    decode_status,
    dle_eot,
    is_status_byte,
    status_byte,
)

__all__ = [
    "CODE_PAGES",
    "MAX_DATA",
    "Align",
    "Barcode",
    "ChineseMode",
    "CodePage",
    "Command",
    "Cut",
    "EscPosDecoder",
    "Event",
    "Feed",
    "Init",
    "LineMeta",
    "PrinterCondition",
    "PrinterStatus",
    "QrCode",
    "Receipt",
    "ReceiptBuilder",
    "StatusQuery",
    "Style",
    "Text",
    "Unknown",
    "decode_receipt",
    "decode_receipts",
    "decode_status",
    "decode_text",
    "dle_eot",
    "is_status_byte",
    "status_byte",
]
