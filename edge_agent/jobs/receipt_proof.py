"""The proof of a printed receipt: the exact bytes sent to the printer and their SHA-256,
kept in the job's result for the cloud to draw (``protocols.escpos.proof``).

The agent no longer draws the PNG (issue 17: decoding and drawing cost about 3.5 ms of CPU
per receipt; packing the bytes costs microseconds). A receipt's bytes are small (a queue
ticket with a QR code: 215 bytes, 224 characters packed), so they ride in the result, packed
(zlib + base64), when that stays under :data:`INLINE_MAX_CHARS`; a larger stream (big logos,
many copies) is uploaded as a blob (role ``escpos``) under the job's grant instead.

It runs AFTER the paper is out, so it can never fail or repeat the print: whatever goes
wrong (the cloud refusing or unreachable, a slow network) ends as a ``proof_error`` sentence
in the job's result, and the job stays ``succeeded``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from edge_agent.jobs.blob_transfer import UploadFailed, upload_blobs
from protocols.escpos.layout import PAPER_80MM
from protocols.escpos.proof import PACKING, pack_sent
from protocols.jobs import Uploads

log = logging.getLogger(__name__)

#: the longest an upload of the proof may hold up the job's final ack: the printer's next
#: job waits for it, so a slow or black-holed cloud costs a kiosk at most this
PROOF_TIMEOUT_S = 10.0
#: the role of an uploaded proof's bytes in ``result.blobs``
ROLE = "escpos"
#: the most packed characters carried in the result (the ack's MQTT payload is ≤ 64 KiB)
INLINE_MAX_CHARS = 16 * 1024
_NOT_KEPT = "the receipt was printed, but its proof was not kept"


async def receipt_proof(
    uploads: Uploads | None, sent: bytes, paper_dots: int = PAPER_80MM
) -> dict[str, Any]:
    """What the job's result gains: ``proof`` {escpos_sha256, escpos_bytes, paper_dots, and
    the packed ``escpos`` or, uploaded, an entry in ``blobs``}, or ``proof_error`` saying why
    there is no proof. Never raises (but a cancel)."""
    if not sent:
        return {"proof_error": "no proof: the printer driver did not report the bytes it sent"}
    proof: dict[str, Any] = {
        "escpos_sha256": hashlib.sha256(sent).hexdigest(),
        "escpos_bytes": len(sent),
        "paper_dots": paper_dots,
    }
    packed = pack_sent(sent)
    if len(packed) <= INLINE_MAX_CHARS:
        return {"proof": {**proof, "packing": PACKING, "escpos": packed}}
    if uploads is None:
        return {
            "proof_error": f"{_NOT_KEPT}: its {len(sent)} bytes are too many to carry in the "
            "result and the job carried no upload grant (params.uploads; the cloud's "
            "receipt_proof setting)"
        }
    try:
        async with asyncio.timeout(PROOF_TIMEOUT_S):
            blobs = await upload_blobs(uploads, [(ROLE, "application/octet-stream", sent)])
    except TimeoutError:
        why = f"uploading its bytes took longer than {PROOF_TIMEOUT_S:.0f} s"
    except UploadFailed as err:
        why = str(err)
    except Exception as err:  # an upload bug must not touch the printed job
        log.exception("receipt proof: the upload failed")
        why = f"its upload failed: {err!r}"
    else:
        return {"proof": proof, "blobs": blobs}
    return {"proof_error": f"{_NOT_KEPT}: {why}"}
