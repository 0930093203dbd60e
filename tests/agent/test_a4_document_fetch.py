"""Getting a ``print_document`` job's PDF: every way the input can be wrong ends the job
``failed`` with a reason and a sentence before anything reaches the printer."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from edge_agent.jobs.a4_documents import NotPrintable, document_for_print
from edge_agent.jobs.blob_transfer import DownloadFailed, fetch_blob
from protocols.jobs import DocumentParams, FailureReason, Fetch

from .test_a4_ipp_driver import _pdf

PDF = _pdf("fetched")  # a real one-page PDF: a damaged one is refused (test_a4_broken_pdfs)
GIF = b"GIF89a not a document"
BLOBS = {"/pdf": PDF, "/gif": GIF}


class _Blobs(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = BLOBS.get(self.path)
        if body is None:
            self.send_response(403)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(
                b'{"status": 403, "code": "forbidden", '
                b'"message": "the blob token expired 12 s ago", "errors": []}'
            )
            return
        self.send_response(200)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def blob_server() -> Iterator[str]:
    """A loopback HTTP server playing the cloud's blob endpoint."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Blobs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _params(base: str, path: str, body: bytes) -> DocumentParams:
    return DocumentParams(
        document=hashlib.sha256(body).hexdigest(),
        fetch=Fetch(url=f"{base}{path}", expires=0),
    )


async def test_the_pdf_is_fetched_and_checked(blob_server: str) -> None:
    ready = await document_for_print(_params(blob_server, "/pdf", PDF))
    assert ready.doc.pdf == PDF


async def test_each_bad_input_fails_before_the_printer(blob_server: str) -> None:
    cases = [
        (DocumentParams(document="0" * 64), FailureReason.BAD_PARAMS, "params.fetch is missing"),
        (_params(blob_server, "/pdf", b"other"), FailureReason.DOWNLOAD_FAILED, "hashes to"),
        (_params(blob_server, "/gone", PDF), FailureReason.DOWNLOAD_FAILED, "expired 12 s ago"),
        (_params(blob_server, "/gif", GIF), FailureReason.DOCUMENT_REJECTED, "is not a PDF"),
    ]
    for params, reason, words in cases:
        with pytest.raises(NotPrintable) as caught:
            await document_for_print(params)
        assert caught.value.reason is reason
        assert words in str(caught.value)


async def test_a_blob_larger_than_the_limit_is_refused(blob_server: str) -> None:
    params = _params(blob_server, "/pdf", PDF)
    assert params.fetch is not None
    with pytest.raises(DownloadFailed, match="larger than the 10 bytes"):
        await fetch_blob(params.fetch, params.document, max_bytes=10)


async def test_an_unreachable_cloud_is_a_download_failure() -> None:
    fetch = Fetch(url="http://127.0.0.1:9/blob", expires=0)  # discard port: nothing listens
    with pytest.raises(DownloadFailed, match="failed"):
        await fetch_blob(fetch, "0" * 64)
