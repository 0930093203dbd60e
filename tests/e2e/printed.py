"""What the printers really received, counted per job: a second copy of one job must show.

Counting documents in a shared printer by set membership hides a duplicate, so every count
here is per job, by a tag the test puts in the job:

- receipts: the ESC/POS printer simulator writes one ``<n>.txt`` per receipt it printed;
  :func:`receipts_naming` returns every one whose text names the tag (a queue number, a
  ``tag:…`` line), never just ``1.txt``;
- A4: ippeveprinter (``-k``) keeps each job's document as ``<ipp job id>-<job name>.pdf``, the
  job name lower-cased with every run of other characters than ``[a-z0-9-]`` made one ``_``.
  The agent sends the job's title (``print_document``) or ``copy <purpose>`` (``copy``) as
  ``job-name``, so a tag in the title or purpose names the file: :func:`ipp_documents_tagged`.
"""

from __future__ import annotations

import re
from pathlib import Path

from simulators.ippeveprinter import IppServer

#: a PDF image XObject's dictionary (no nested dictionaries) and the start of its stream
_IMAGE = re.compile(rb"<<([^<>]*/Subtype\s*/Image[^<>]*)>>\s*stream\r?\n")
_LENGTH = re.compile(rb"/Length\s+(\d+)(\s+\d+\s+R)?")


def _names(text: str, tag: str) -> bool:
    """``tag`` as a word of ``text`` (``A023`` is not in ``A0231``)."""
    return re.search(rf"(?<![0-9A-Za-z]){re.escape(tag)}(?![0-9A-Za-z])", text) is not None


def receipts_naming(out_dir: Path, tag: str) -> list[str]:
    """The text of EVERY receipt the printer simulator wrote to ``out_dir`` that names
    ``tag``, in printing order (a duplicate print is a second entry)."""
    paths = sorted(out_dir.glob("*.txt"), key=lambda p: int(p.stem) if p.stem.isdigit() else -1)
    texts = (p.read_text(encoding="utf-8") for p in paths)
    return [text for text in texts if _names(text, tag)]


def receipt_count(out_dir: Path) -> int:
    """How many receipts the simulator printed into ``out_dir`` at all."""
    return len(list(out_dir.glob("*.txt")))


def ipp_documents_tagged(server: IppServer, tag: str) -> list[Path]:
    """Every document ippeveprinter received for a job whose name contains ``tag``
    (``[a-z0-9-]`` only, as ippeveprinter keeps them in the file name)."""
    assert re.fullmatch(r"[a-z0-9-]+", tag), f"{tag!r} would not survive in a spool file name"
    return [p for p in server.documents() if tag in p.stem.split("-", 1)[1]]


def ipp_job_id(printer_job: str) -> int:
    """The printer's own job id in an A4 ack's ``printer_job`` (``<printer uri>/<id>``)."""
    return int(printer_job.rsplit("/", 1)[1])


def pdf_jpeg(pdf: bytes) -> bytes:
    """The one JPEG (DCTDecode) image a copy's PDF carries, read from the PDF's own syntax
    (not with the code that wrote it)."""
    found = list(_IMAGE.finditer(pdf))
    assert len(found) == 1, f"expected one image in the printed PDF, found {len(found)}"
    match = found[0]
    assert b"/DCTDecode" in match.group(1), match.group(1)
    length = _LENGTH.search(match.group(1))
    assert length is not None and not length.group(2), "image /Length must be a number"
    data = pdf[match.end() : match.end() + int(length.group(1))]
    assert data.startswith(b"\xff\xd8") and data.rstrip().endswith(b"\xff\xd9"), "not a JPEG"
    return data
