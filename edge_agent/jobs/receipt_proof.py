"""The proof of a printed receipt: the exact bytes sent to the printer, decoded and drawn as
the paper shows them (a PNG at the printer's dot width), uploaded under the job's grant.

It runs AFTER the paper is out, so it can never fail or repeat the print: whatever goes
wrong (the renderer, the cloud refusing or unreachable, a slow network) ends as a
``proof_error`` sentence in the job's result, and the job stays ``succeeded``. Decoding and
drawing are CPU work: they run in a worker thread, off the agent's event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import struct
from typing import Any

from edge_agent.jobs.blob_transfer import UploadFailed, upload_blobs
from protocols.escpos.layout import PAPER_80MM
from protocols.escpos.receipts import Receipt, decode_receipts
from protocols.jobs import Uploads

log = logging.getLogger(__name__)

#: the longest the proof may hold up the job's final ack (render + upload): the printer's
#: next job waits for it, so a slow or black-holed cloud costs a kiosk at most this
PROOF_TIMEOUT_S = 10.0
#: the role of the proof in ``result.blobs`` (``GET /api/v1/jobs/{id}/attachments/proof``)
ROLE = "proof"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR chunk; ValueError if it is not a PNG."""
    if len(png) < 24 or not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
        raise ValueError("the renderer did not return a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def render_proof(sent: bytes, paper_dots: int = PAPER_80MM) -> bytes:
    """The PNG of what ``sent`` puts on paper ``paper_dots`` wide (``protocols.escpos.paper``):
    the printable area only, one pixel per dot, so the image is exactly the paper's width.
    Every receipt of the stream (copies, cuts) on one strip, as the roll printed them."""
    from protocols.escpos.paper import receipt_png  # NumPy + Pillow: only once a proof is drawn

    parts = decode_receipts(sent, paper_dots=paper_dots)
    items = [item for part in parts for item in part.items]
    return receipt_png(Receipt(items=items, paper_dots=paper_dots), edges=False)


async def receipt_proof(
    uploads: Uploads | None, sent: bytes, paper_dots: int = PAPER_80MM
) -> dict[str, Any]:
    """What the job's result gains: ``proof`` {sha256, bytes, width, height} and its entry
    in ``blobs``, or ``proof_error`` saying why there is no proof. Never raises (but a
    cancel)."""
    if uploads is None:
        return {"proof_error": "no proof: the job carried no upload grant (params.uploads)"}
    if not sent:
        return {"proof_error": "no proof: the printer driver did not report the bytes it sent"}
    try:
        async with asyncio.timeout(PROOF_TIMEOUT_S):
            return await _make_and_upload(uploads, sent, paper_dots)
    except TimeoutError:
        why = f"rendering and uploading took longer than {PROOF_TIMEOUT_S:.0f} s"
    except UploadFailed as err:
        why = str(err)
    except Exception as err:  # a renderer bug must not touch the printed job
        log.exception("receipt proof: rendering failed")
        why = f"the receipt could not be drawn: {err!r}"
    return {"proof_error": f"the receipt was printed, but its proof was not kept: {why}"}


async def _make_and_upload(uploads: Uploads, sent: bytes, paper_dots: int) -> dict[str, Any]:
    png = await asyncio.to_thread(render_proof, sent, paper_dots)
    width, height = png_size(png)
    blobs = await upload_blobs(uploads, [(ROLE, "image/png", png)])
    proof = {
        "sha256": hashlib.sha256(png).hexdigest(),
        "bytes": len(png),
        "width": width,
        "height": height,
    }
    return {"proof": proof, "blobs": blobs}
