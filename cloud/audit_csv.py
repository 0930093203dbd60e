"""The audit log as CSV for a spreadsheet: UTF-8 with a byte-order mark (so Excel reads Chinese
as Chinese, not as mojibake), a header row, CRLF lines, and no cell a spreadsheet would run.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (CSV/formula injection: an actor name or a message an attacker chose
could otherwise run ``=HYPERLINK(...)`` on the auditor's machine). Such a cell is prefixed
with an apostrophe, which the spreadsheet shows as text and does not evaluate (OWASP's advice).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

BOM = "\ufeff"
COLUMNS = (
    "id",
    "time_utc",
    "actor",
    "ip",
    "action",
    "target",
    "site",
    "result",
    "message",
    "detail",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    """``value`` as a spreadsheet shows it as text, never as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def header() -> str:
    """The byte-order mark and the header row (the first chunk of an export)."""
    return BOM + lines([list(COLUMNS)])


def row_cells(row: dict[str, Any]) -> list[str]:
    return [safe_cell(_text(row["at" if col == "time_utc" else col])) for col in COLUMNS]


def lines(rows: Iterable[list[str]]) -> str:
    """CSV text (RFC 4180 quoting, CRLF) of already-neutralised cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()
