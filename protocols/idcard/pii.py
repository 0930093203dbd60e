"""Finding and masking resident ID numbers inside free text (pure, no I/O).

Used where text of unknown content may carry an ID number: the cloud's guard on every event
a device sends (``protocols.privacy``), and tests that scan logs and databases. Detection is
deliberately wide, because a missed ID number is a leak while a masked serial number is only
a nuisance:

- an 18-character number (17 digits + a digit or ``X``) anywhere inside a run of digits whose
  birth date (positions 7-14, year 1900 or later) is real and whose ISO 7064 MOD 11-2 check
  digit is right (``is_valid_id_number``);
- a legacy 15-digit ID number (before 1999: area code, ``YYMMDD``, 3 digits) that is a whole
  run of digits on its own with a real ``19YYMMDD`` date: inside longer runs a 15-digit window
  is too often a date by chance;
- full-width digits (``６３２８…``) count as digits.

Not detected: numbers split by spaces or hyphens, and numbers written in Chinese numerals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from protocols.idcard.text import is_valid_id_number, mask_id_number

IdNumberForm = Literal["id_number_18", "id_number_15"]

#: full-width digits and X map one to one, so positions stay those of the original text
_FULL_WIDTH: Final = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")
_RUN: Final = re.compile(r"[0-9]+X?")
_LONG_RUN: Final = re.compile(r"[0-9０-９]{15}")


@dataclass(frozen=True, slots=True)
class IdNumberHit:
    """Where an ID number is in a text (``start``/``end`` of the original string)."""

    start: int
    end: int
    form: IdNumberForm


def _legacy_date_ok(digits: str) -> bool:
    try:
        date(1900 + int(digits[6:8]), int(digits[8:10]), int(digits[10:12]))
    except ValueError:
        return False
    return digits[0] != "0"


def _in_run(run: str, offset: int) -> list[IdNumberHit]:
    hits: list[IdNumberHit] = []
    if len(run) == 15 and run.isdigit() and _legacy_date_ok(run):
        return [IdNumberHit(offset, offset + 15, "id_number_15")]
    i = 0
    while i + 18 <= len(run):
        window = run[i : i + 18]  # an X can only end the run (``_RUN``)
        if int(window[6:10]) >= 1900 and is_valid_id_number(window):
            hits.append(IdNumberHit(offset + i, offset + i + 18, "id_number_18"))
            i += 18
        else:
            i += 1
    return hits


def may_hold_id_number(text: str) -> bool:
    """False when ``text`` surely holds no ID number (no run of 15 digits): a cheap filter."""
    return len(text) >= 15 and _LONG_RUN.search(text) is not None


def find_id_numbers(text: str) -> list[IdNumberHit]:
    """Every ID number in ``text``, in order, not overlapping."""
    if not may_hold_id_number(text):  # the common case, cheaply
        return []
    plain = text.translate(_FULL_WIDTH)
    hits: list[IdNumberHit] = []
    for run in _RUN.finditer(plain):
        if len(run.group()) >= 15:
            hits += _in_run(run.group(), run.start())
    return hits


def mask_id_numbers(text: str) -> tuple[str, list[IdNumberHit]]:
    """``text`` with every ID number masked (``6328**********0137``), and what was found."""
    hits = find_id_numbers(text)
    if not hits:
        return text, hits
    out, at = [], 0
    for hit in hits:
        out += [text[at : hit.start], mask_id_number(text[hit.start : hit.end])]
        at = hit.end
    out.append(text[at:])
    return "".join(out), hits
