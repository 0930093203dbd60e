"""PDFs that pass the ``%PDF-`` check but are broken are refused before the printer, with the
reason (``document_rejected``): truncated, garbage after the header, no or a wrong
cross-reference position, no objects, encrypted. Sound PDFs from two generators pass.

The decision (docs/a4-printing.md): the agent checks the file's frame itself, since what a
printer does with a damaged PDF varies (refuse, print garbage, abort part-way → uncertain);
a PDF broken only inside its page content is still the printer's to refuse."""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable

import pytest

from edge_agent.jobs.a4_documents import NotPrintable, document_for_print
from protocols.jobs import DocumentParams, FailureReason, Fetch
from protocols.pdf_check import TAIL, pdf_problem

from .test_a4_document_fetch import BLOBS, blob_server  # noqa: F401 (the fixture)
from .test_a4_ipp_driver import _pdf

GOOD = _pdf("a sound certificate")


def _truncated(pdf: bytes) -> bytes:
    return pdf[: len(pdf) * 2 // 3]


def _garbage_after_header(pdf: bytes) -> bytes:
    return b"%PDF-1.7\n" + os.urandom(3000)


def _garbage_with_eof(pdf: bytes) -> bytes:
    return b"%PDF-1.4\n" + os.urandom(3000).replace(b"%%EOF", b"") + b"\n%%EOF\n"


def _no_xref(pdf: bytes) -> bytes:
    table = pdf.rindex(b"\nxref\n") + 1  # the table goes; trailer, startxref and %%EOF stay
    return pdf[:table] + pdf[pdf.index(b"trailer", table) :]


def _wrong_startxref(pdf: bytes) -> bytes:
    return re.sub(rb"startxref\s+\d+", b"startxref\n17", pdf)


def _no_startxref(pdf: bytes) -> bytes:
    return re.sub(rb"startxref\s+\d+\s+", b"", pdf)


def _junk_after_eof(pdf: bytes) -> bytes:
    return pdf + b"\x00" * (TAIL + 1)


def _encrypted(pdf: bytes) -> bytes:
    return pdf.replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 9 0 R")


def _bad_version(pdf: bytes) -> bytes:
    return b"%PDF-9.9" + pdf[8:]


def _no_objects(pdf: bytes) -> bytes:
    return b"%PDF-1.4\nxref\n0 1\n0000000000 65535 f \ntrailer\n<< >>\nstartxref\n9\n%%EOF\n"


BROKEN: list[tuple[Callable[[bytes], bytes], str]] = [
    (_truncated, "truncated"),
    (_garbage_after_header, "truncated"),
    (_garbage_with_eof, "no startxref"),
    (_no_xref, "does not point at a cross-reference table"),
    (_wrong_startxref, "does not point at a cross-reference table"),
    (_no_startxref, "no startxref"),
    (_junk_after_eof, "truncated"),
    (_encrypted, "encrypted"),
    (_bad_version, "is not that of PDF"),
    (_no_objects, "no objects"),
]


@pytest.mark.parametrize(("damage", "words"), BROKEN, ids=[b[0].__name__[1:] for b in BROKEN])
def test_a_broken_pdf_is_named_for_what_is_wrong(
    damage: Callable[[bytes], bytes], words: str
) -> None:
    broken = damage(GOOD)
    assert broken.startswith(b"%PDF-")  # what the old check looked at
    problem = pdf_problem(broken)
    assert problem is not None and words in problem


def test_sound_pdfs_pass() -> None:
    assert pdf_problem(GOOD) is None
    assert pdf_problem(GOOD + b"\r\n") is None  # trailing whitespace after %%EOF
    updated = GOOD + b"1 0 obj\n<< /Type /Catalog >>\nendobj\n"  # an incremental update
    xref = len(updated)
    updated += b"xref\n0 1\n0000000000 65535 f \ntrailer\n<< /Size 7 /Root 1 0 R >>\n"
    assert pdf_problem(updated + b"startxref\n%d\n%%%%EOF\n" % xref) is None


@pytest.mark.parametrize("damage", [_truncated, _encrypted, _no_xref])
async def test_the_job_fails_before_the_printer_with_the_reason(
    blob_server: str,  # noqa: F811
    damage: Callable[[bytes], bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = damage(GOOD)
    monkeypatch.setitem(BLOBS, "/broken", broken)
    params = DocumentParams(
        document=hashlib.sha256(broken).hexdigest(),
        fetch=Fetch(url=f"{blob_server}/broken", expires=0),
    )
    with pytest.raises(NotPrintable) as caught:
        await document_for_print(params)
    assert caught.value.reason is FailureReason.DOCUMENT_REJECTED
    message = str(caught.value)
    assert "cannot be printed" in message and "nothing was sent to the printer" in message
