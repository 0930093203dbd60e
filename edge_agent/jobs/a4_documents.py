"""Getting an A4 job's document ready, before anything reaches the printer.

``print_document`` downloads the PDF the job names (sha256-checked) and checks its frame
(:mod:`protocols.pdf_check`: a truncated, damaged or encrypted PDF is refused);
``copy`` scans a page on the document camera beside the printer and marks it
(:mod:`edge_agent.jobs.copy_page`). Every
failure here happens before the printer sees a byte, so it is a plain ``failed`` with a
reason the cloud can act on (retry a download; tell the citizen the camera is down).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from edge_agent.drivers.a4_base import A4Document, Scan, Scanner, is_pdf
from edge_agent.errors import AgentError
from edge_agent.fonts import INSTALL_HINT, find_cjk_font
from edge_agent.jobs.blob_transfer import DownloadFailed, fetch_blob
from edge_agent.jobs.copy_page import WatermarkUnavailable, compose_copy, watermark_text
from edge_agent.jobs.corner_review import (
    CornerReviewer,
    ReviewableCamera,
    review_details,
    reviewed_scan,
)
from protocols.jobs import CopyParams, DocumentParams, FailureReason
from protocols.pdf_check import pdf_problem


class NotPrintable(AgentError):
    """The document could not be made ready; nothing was printed."""

    def __init__(self, reason: FailureReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Prepared:
    doc: A4Document
    #: what the ack's ``result`` says about the preparation (no personal data)
    details: dict[str, Any]


async def document_for_print(params: DocumentParams) -> Prepared:
    """The PDF of a ``print_document`` job, fetched and verified."""
    if params.fetch is None:
        raise NotPrintable(
            FailureReason.BAD_PARAMS,
            "params.fetch is missing: the cloud says where to read the document",
        )
    try:
        pdf = await fetch_blob(params.fetch, params.document)
    except DownloadFailed as err:
        raise NotPrintable(FailureReason.DOWNLOAD_FAILED, str(err)) from err
    if not is_pdf(pdf):
        raise NotPrintable(
            FailureReason.DOCUMENT_REJECTED,
            f"blob {params.document[:12]}… is not a PDF (it does not start with %PDF-); "
            "upload the document as PDF",
        )
    problem = pdf_problem(pdf)
    if problem is not None:
        raise NotPrintable(
            FailureReason.DOCUMENT_REJECTED,
            f"blob {params.document[:12]}… is a PDF that cannot be printed: {problem}; "
            "nothing was sent to the printer — save or export the document again as a plain "
            "PDF and upload it",
        )
    doc = A4Document(pdf=pdf, title=params.title, copies=params.copies, sides=params.sides)
    return Prepared(doc, {})


async def document_for_copy(
    params: CopyParams,
    scanner: Scanner | None,
    *,
    terminal: str,
    font: Path | None = None,
    now: datetime | None = None,
    reviewer: CornerReviewer | None = None,
) -> Prepared:
    """Scan one page (the citizen checks its corners on the screen when the detector is
    unsure and ``reviewer`` is given) and mark it "仅供{purpose}使用 · {time} · {terminal}"."""
    if scanner is None:
        raise NotPrintable(
            FailureReason.NO_PERIPHERAL,
            "this device has no document camera beside its A4 printer to copy with",
        )
    font_path = font or find_cjk_font()
    if font_path is None:  # checked before scanning: do not make the citizen wait for nothing
        raise NotPrintable(
            FailureReason.WATERMARK_UNAVAILABLE,
            f"no font that can draw the copy's watermark was found; {INSTALL_HINT}",
        )
    try:
        scan: Scan = (
            await reviewed_scan(scanner, params.mode, reviewer)
            if isinstance(scanner, ReviewableCamera)
            else await scanner.scan(params.mode)
        )
    except AgentError as err:
        raise NotPrintable(FailureReason.CAMERA_ERROR, str(err)) from err
    text = watermark_text(params.purpose, terminal, now or datetime.now().astimezone(), params.lang)
    try:
        page = await asyncio.to_thread(compose_copy, scan.jpeg, text, font_path, title="copy")
    except WatermarkUnavailable as err:
        raise NotPrintable(FailureReason.WATERMARK_UNAVAILABLE, str(err)) from err
    except AgentError as err:
        raise NotPrintable(FailureReason.CAMERA_ERROR, str(err)) from err
    doc = A4Document(pdf=page.pdf, title=f"copy {params.purpose}", copies=params.copies)
    details = {
        "page_found": scan.page_found,
        **review_details(scan),
        "width": page.width,
        "height": page.height,
        "mode": params.mode,
        "watermark": text,
    }
    return Prepared(doc, details)
