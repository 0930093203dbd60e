"""A structural check of a PDF before it goes to an A4 printer.

``%PDF-`` at the start says what a file claims to be, not that a printer can print it. What a
printer does with a damaged PDF varies: it refuses the job, prints garbage or blank pages, or
accepts it and aborts part-way — the last two leave the job ``uncertain`` and a citizen with
nothing. So the cloud refuses such a document when a job names it (422), and the agent
refuses it again before a byte reaches the printer (a blob it fetched may differ), with the
reason, a PDF:

- whose header is not ``%PDF-1.x`` / ``%PDF-2.0``;
- that does not end with ``%%EOF`` (a truncated upload or download);
- whose ``startxref`` is missing or does not point at a cross-reference table or stream
  (garbage after the header, a file cut and glued, a broken generator);
- without a single indirect object;
- that is encrypted (``/Encrypt`` in its trailer): a printer that cannot decrypt it prints
  nothing or garbage, and one that can would print what its owner protected.

Only the file's frame is checked (header, trailer, cross-reference position), in linear time
and without a PDF library; a PDF whose page content is broken inside is still the printer's
to refuse, and that refusal reaches the cloud as ``document_rejected`` or ``uncertain``.
"""

from __future__ import annotations

import re

#: ``%%EOF`` must be this close to the end (PDF 1.7 §7.5.5; readers accept 1 KiB of trailing junk)
TAIL = 1024
_HEADER = re.compile(rb"%PDF-(1\.[0-7]|2\.0)\s")
_STARTXREF = re.compile(rb"startxref\s+(\d{1,12})\s+%%EOF")
_XREF_AT = re.compile(rb"\s*(xref\b|\d{1,10}\s+\d{1,5}\s+obj\b)")
_OBJECT = re.compile(rb"\d{1,10}\s+\d{1,5}\s+obj\b")
_ENCRYPT = re.compile(rb"/Encrypt\s*(\d{1,10}\s+\d{1,5}\s+R|<<)")


def pdf_problem(data: bytes) -> str | None:
    """Why ``data`` is not a PDF a printer can be given, or None if its frame is sound."""
    if not _HEADER.match(data[:16]):
        return f"its header {data[:12]!r} is not that of PDF 1.0–2.0"
    tail = data[-TAIL:]
    if b"%%EOF" not in tail:
        return "it does not end with %%EOF: the file is truncated"
    found = list(_STARTXREF.finditer(tail))
    if not found:
        return "it has no startxref before %%EOF: its cross-reference table is missing"
    offset = int(found[-1].group(1))
    if offset >= len(data) or not _XREF_AT.match(data, offset):
        return (
            f"its startxref ({offset}) does not point at a cross-reference table: the file "
            "is damaged"
        )
    if not _OBJECT.search(data):
        return "it contains no objects"
    if _ENCRYPT.search(data):
        return "it is encrypted (password-protected)"
    return None
