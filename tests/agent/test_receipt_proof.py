"""The receipt proof on its own: the exact bytes sent, packed in the result (the cloud draws
them), or uploaded when too many; bounded in time and never an exception — a cloud that takes
the connection and never answers costs the printer's next job at most ``PROOF_TIMEOUT_S``,
and the result says why there is no proof."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge_agent.config import EscposNetwork
from edge_agent.drivers import build_printer
from edge_agent.drivers.escpos_render import render_receipt
from edge_agent.jobs import receipt_proof
from kfleet.world.demo import queue_ticket
from protocols.escpos.layout import PAPER_58MM, PAPER_80MM
from protocols.escpos.proof import ProofUnreadable, pack_sent, png_size, render_proof, unpack_sent
from protocols.jobs import ReceiptParams, Uploads
from simulators.escpos_printer import EscPosPrinterSim

PARAMS = ReceiptParams.model_validate(queue_ticket("凭证", "T001"))
TICKET = render_receipt(PARAMS)
#: a stream too large to carry packed in the result (random bytes do not compress)
LOGO = TICKET + os.urandom(receipt_proof.INLINE_MAX_CHARS)


@pytest.fixture
async def silent_cloud() -> AsyncIterator[str]:
    """An HTTP port that accepts connections and reads requests, and never answers."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        try:
            while await reader.read(65536):
                pass
        finally:  # also when the test's loop cancels it: no socket left to the collector
            writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/api/v1/blobs"
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


def test_the_proof_is_the_paper_width_png_of_the_bytes() -> None:
    width, height = png_size(render_proof(TICKET))
    assert width == PAPER_80MM and height > 200
    with pytest.raises(ValueError, match="not return a PNG"):
        png_size(b"GIF89a" + bytes(30))


async def test_the_proof_is_the_bytes_sent_packed_in_the_result() -> None:
    said = await receipt_proof.receipt_proof(None, TICKET, PAPER_58MM)  # needs no grant
    proof = said["proof"]
    assert set(said) == {"proof"}
    assert proof["escpos_sha256"] == hashlib.sha256(TICKET).hexdigest()
    assert (proof["escpos_bytes"], proof["paper_dots"]) == (len(TICKET), PAPER_58MM)
    assert proof["packing"] == "zlib+base64" and unpack_sent(proof["escpos"]) == TICKET


def test_packed_bytes_that_are_damaged_or_too_many_are_refused() -> None:
    with pytest.raises(ProofUnreadable, match="not zlib"):
        unpack_sent("not base64!")
    with pytest.raises(ProofUnreadable, match="end before"):
        unpack_sent(pack_sent(TICKET)[:-8])
    with pytest.raises(ProofUnreadable, match="more than 100 bytes"):
        unpack_sent(pack_sent(bytes(10_000)), max_bytes=100)  # a small stream, a big claim


async def test_a_silent_cloud_costs_at_most_the_proof_timeout(
    silent_cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(receipt_proof, "PROOF_TIMEOUT_S", 1.0)
    uploads = Uploads(base=silent_cloud, grant="0" * 32 + ".1.x", expires=1)
    started = time.monotonic()
    said = await receipt_proof.receipt_proof(uploads, LOGO)
    assert time.monotonic() - started < 5  # httpx alone would wait its 30 s
    assert set(said) == {"proof_error"}
    assert said["proof_error"] == (
        "the receipt was printed, but its proof was not kept: uploading its bytes took "
        "longer than 1 s"
    )


async def test_without_a_grant_for_many_bytes_or_any_bytes_there_is_no_proof_and_it_says_why() -> (
    None
):
    said = await receipt_proof.receipt_proof(None, LOGO)
    assert (
        "too many to carry in the result and the job carried no upload grant"
        in (said["proof_error"])
    )
    uploads = Uploads(base="http://127.0.0.1:9/api/v1/blobs", grant="g", expires=1)
    said = await receipt_proof.receipt_proof(uploads, b"")
    assert "did not report the bytes it sent" in said["proof_error"]


@pytest.mark.parametrize(("paper_mm", "dots"), [(80, PAPER_80MM), (58, PAPER_58MM)])
async def test_the_driver_reports_what_it_sent_and_how_wide_the_paper_is(
    tmp_path: Path, paper_mm: int, dots: int
) -> None:
    """The proof is drawn from the driver's own bytes, at its configured paper width."""
    async with EscPosPrinterSim(out_dir=tmp_path) as sim:
        cfg = {"type": "escpos_network", "id": "rp", "host": "127.0.0.1", "port": sim.port}
        printer = build_printer(EscposNetwork.model_validate({**cfg, "paper_mm": paper_mm}))

        async def on_start() -> None:
            return None

        report = await printer.print_receipt(PARAMS, on_start)
        [printed] = await sim.wait_for_receipts(1)
    assert report.sent == TICKET  # the driver's one write, as escpos_render made it
    assert "T001" in printed.text
    assert report.paper_dots == dots
    assert png_size(render_proof(report.sent, report.paper_dots))[0] == dots
