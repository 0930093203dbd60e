"""The second line of defence against control characters in printed text.

The protocol refuses them in every printable string, but a payload built without validation
(or by an older cloud) could still carry ``GS V`` (cut), ``ESC p`` (cash-drawer kick),
``ESC @`` (reset) or NUL inside a text line, and ESC/POS would execute them. So before any
text becomes printer bytes (receipt text lines, QR data, document titles, a copy's purpose in
its watermark), C0 and C1 control characters and DEL are removed, and counted.
"""

from __future__ import annotations

import re
from typing import TypeVar, cast

from pydantic import BaseModel

from protocols.jobs import CopyParams, DocumentParams, QrLine, ReceiptParams, TextLine

#: C0 (0x00-0x1F), DEL (0x7F) and C1 (0x80-0x9F)
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")

P = TypeVar("P", bound=BaseModel)
#: the one printed text field of each A4 kind
_TEXT_FIELD: dict[type[BaseModel], str] = {DocumentParams: "title", CopyParams: "purpose"}


def strip_controls(text: str) -> tuple[str, int]:
    """``text`` without control characters, and how many were removed."""
    return CONTROL.subn("", text)


def printable(params: P) -> tuple[P, int]:
    """``params`` with every text that reaches a printer stripped of control characters,
    and how many were removed in all (0: ``params`` itself is returned)."""
    if isinstance(params, ReceiptParams):
        receipt, stripped = _receipt(params)
        return cast(P, receipt), stripped
    field = _TEXT_FIELD.get(type(params))
    if field is None:
        return params, 0
    clean, removed = strip_controls(getattr(params, field))
    return (params.model_copy(update={field: clean}) if removed else params), removed


def _receipt(params: ReceiptParams) -> tuple[ReceiptParams, int]:
    total, lines = 0, []
    for line in params.lines:
        if isinstance(line, TextLine):
            text, removed = strip_controls(line.text)
            line = line.model_copy(update={"text": text}) if removed else line
        elif isinstance(line, QrLine):
            data, removed = strip_controls(line.data)
            line = line.model_copy(update={"data": data}) if removed else line
        else:
            removed = 0
        total += removed
        lines.append(line)
    return (params.model_copy(update={"lines": lines}) if total else params), total
