"""The cloud draws a receipt's proof from the bytes its agent printed once, keeps the PNG as a
blob, and says in a sentence why when the bytes cannot be drawn (no 500, no guess)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from cloud import receipt_proofs
from cloud.blobs import BlobStore
from cloud.errors import NotFound
from edge_agent.drivers.escpos_render import render_receipt
from kfleet.world.demo import queue_ticket
from protocols.escpos.layout import PAPER_58MM
from protocols.escpos.proof import PACKING, pack_sent, png_size, render_proof
from protocols.jobs import ReceiptParams

SENT = render_receipt(ReceiptParams.model_validate(queue_ticket("绘制", "D001")))
JOB = "d" * 32


def _result(sent: bytes = SENT, **proof: Any) -> dict[str, Any]:
    kept = {
        "escpos_sha256": hashlib.sha256(sent).hexdigest(),
        "escpos_bytes": len(sent),
        "paper_dots": PAPER_58MM,
        "packing": PACKING,
        "escpos": pack_sent(sent),
    }
    return {"bytes": len(sent), "proof": {**kept, **proof}}


async def test_the_first_view_draws_and_the_second_reads_the_kept_png(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = BlobStore(tmp_path / "blobs", 1024 * 1024)
    drawn: list[int] = []

    def counting(sent: bytes, dots: int) -> bytes:
        drawn.append(dots)
        return render_proof(sent, dots)

    monkeypatch.setattr(receipt_proofs, "render_proof", counting)
    first = await receipt_proofs.drawn_proof(JOB, _result(), store)
    second = await receipt_proofs.drawn_proof(JOB, _result(), store)
    assert first is not None and second == first and first.png is None
    assert drawn == [PAPER_58MM]  # drawn once
    png = store.locate(first.sha256).read_bytes()
    assert png_size(png)[0] == PAPER_58MM and png == render_proof(SENT, PAPER_58MM)


async def test_a_result_without_printed_bytes_is_not_drawn(tmp_path: Path) -> None:
    store = BlobStore(tmp_path / "blobs", 1024 * 1024)
    old = {"proof": {"sha256": "a" * 64, "width": 576, "height": 9}}  # an older agent's PNG
    assert await receipt_proofs.drawn_proof(JOB, old, store) is None
    traversal = _result(escpos_sha256="../../etc/passwd")
    assert await receipt_proofs.drawn_proof(JOB, traversal, store) is None


@pytest.mark.parametrize(
    ("result", "said"),
    [
        (_result(escpos="bm90IHpsaWI="), "cannot be read: the packed bytes are not zlib+base64"),
        (_result(escpos=pack_sent(SENT + b"x")), "do not hash to the escpos_sha256"),
        (_result(packing="lz4"), "are not stored (their upload failed"),
        (_result(paper_dots="wide"), "names no paper width it can be drawn at"),
    ],
)
async def test_bytes_that_cannot_be_drawn_say_why(
    tmp_path: Path, result: dict[str, Any], said: str
) -> None:
    store = BlobStore(tmp_path / "blobs", 1024 * 1024)
    with pytest.raises(NotFound, match=f"job {JOB}") as caught:
        await receipt_proofs.drawn_proof(JOB, result, store)
    assert said in str(caught.value)
