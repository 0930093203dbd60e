"""The record of a self-service copy for the print audit (统一扎口): the page as printed (the
marked PDF) uploaded under the job's grant, and its sha256 in the job's result.

Like a receipt's proof it runs AFTER the paper is out, so it can never fail or repeat the
copy: whatever goes wrong ends as a ``page_error`` sentence in the result (the sha256 is
there all the same: the cloud's audit keeps the hash even when the content did not arrive).
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from edge_agent.jobs.blob_transfer import UploadFailed, upload_blobs
from protocols.jobs import Uploads

#: the longest the upload may hold up the job's final ack (the next job waits for it)
UPLOAD_TIMEOUT_S = 10.0
#: the page's role in ``result.blobs`` (``GET /api/v1/jobs/{id}/attachments/pdf``)
ROLE = "pdf"


async def copy_record(uploads: Uploads | None, pdf: bytes) -> dict[str, Any]:
    """What the copy's result gains: ``page`` {sha256, bytes}, and its entry in ``blobs`` or a
    ``page_error`` saying why the page was not kept. Never raises (but a cancel)."""
    page = {"sha256": hashlib.sha256(pdf).hexdigest(), "bytes": len(pdf)}
    if uploads is None:
        return {"page": page, "page_error": "the job carried no upload grant (params.uploads)"}
    try:
        async with asyncio.timeout(UPLOAD_TIMEOUT_S):
            blobs = await upload_blobs(uploads, [(ROLE, "application/pdf", pdf)])
    except TimeoutError:
        why = f"the upload took longer than {UPLOAD_TIMEOUT_S:.0f} s"
    except UploadFailed as err:
        why = str(err)
    else:
        return {"page": page, "blobs": blobs}
    return {"page": page, "page_error": f"the copy was printed, but its page was not kept: {why}"}
