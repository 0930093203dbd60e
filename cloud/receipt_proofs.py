"""A receipt's proof drawn by the cloud, the first time someone asks for it.

Agents keep the exact bytes they sent to the printer (``result.proof``: packed in the result,
or a blob of role ``escpos``) instead of drawing them (issue 17). The first
``GET /api/v1/jobs/{id}/attachments/proof`` draws them (``protocols.escpos.proof``, in a
worker thread) and stores the PNG as a blob; a small index file names that blob by the
bytes' hash and the paper's width, so the next view, from any worker, reads the stored PNG.
Agents older than this cloud uploaded the PNG themselves (``blobs`` role ``proof``); the
attachments route serves those as before and never comes here.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloud.blobs import SHA256_PATTERN, BlobStore
from cloud.errors import CloudError, NotFound
from protocols.escpos.proof import PACKING, ProofUnreadable, render_proof, unpack_sent

log = logging.getLogger(__name__)

#: the paper widths, in dots, a proof is drawn at (the printhead's own limit)
_DOTS = range(64, 1025)
_SHA256 = re.compile(SHA256_PATTERN)
_CALL = "the bytes are still in the job's result: tell kfleet's maintainers the job's id"


@dataclass(frozen=True)
class DrawnProof:
    """The proof's PNG: its sha256, and its bytes when the store could not keep them."""

    sha256: str
    png: bytes | None = None


def kept_bytes(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The job result's ``proof`` if it names printed bytes (a new agent's), else None."""
    proof = (result or {}).get("proof")
    digest = proof.get("escpos_sha256") if isinstance(proof, dict) else None
    if isinstance(proof, dict) and isinstance(digest, str) and _SHA256.fullmatch(digest):
        return proof  # a hex digest only: it names a file of the store
    return None


async def drawn_proof(job_id: str, result: dict[str, Any], store: BlobStore) -> DrawnProof | None:
    """The PNG of the bytes ``result.proof`` names, drawn once and then read from the store;
    None if the result names no printed bytes. ``NotFound`` (a sentence) if they cannot be
    read or drawn."""
    proof = kept_bytes(result)
    if proof is None:
        return None
    digest, dots = str(proof["escpos_sha256"]), proof.get("paper_dots")
    if not isinstance(dots, int) or dots not in _DOTS:
        raise NotFound(f"the proof of job {job_id} names no paper width it can be drawn at")
    index = store.root / "receipt-proofs" / f"{digest}-{dots}"
    known = await asyncio.to_thread(_read_index, index, store)
    if known is not None:
        return DrawnProof(known)
    sent = await asyncio.to_thread(_printed_bytes, job_id, result, proof, store)
    try:
        png = await asyncio.to_thread(render_proof, sent, dots)
    except Exception as err:  # a renderer bug is a sentence, never a 500
        log.exception("receipt proof of job %s could not be drawn", job_id)
        raise NotFound(f"the proof of job {job_id} could not be drawn ({err!r}); {_CALL}") from err
    png_sha256 = hashlib.sha256(png).hexdigest()
    try:
        await store.put(png_sha256, _one(png))
    except (CloudError, OSError) as err:  # full or too small a store: show it, keep nothing
        log.warning("the drawn proof of job %s was not stored: %s", job_id, err)
        return DrawnProof(png_sha256, png)
    await asyncio.to_thread(_write_index, index, png_sha256)
    return DrawnProof(png_sha256)


def _printed_bytes(
    job_id: str, result: dict[str, Any], proof: dict[str, Any], store: BlobStore
) -> bytes:
    """The bytes the agent sent, from the result or its ``escpos`` blob, checked by hash."""
    packed = proof.get("escpos")
    try:
        if isinstance(packed, str) and proof.get("packing") == PACKING:
            sent = unpack_sent(packed)
        else:
            sent = _escpos_blob(job_id, result, store)
    except ProofUnreadable as err:
        raise NotFound(f"the printed bytes of job {job_id} cannot be read: {err}") from err
    if hashlib.sha256(sent).hexdigest() != proof["escpos_sha256"]:
        raise NotFound(
            f"the printed bytes of job {job_id} do not hash to the escpos_sha256 its device "
            "reported: they were damaged, so no proof is drawn from them"
        )
    return sent


def _escpos_blob(job_id: str, result: dict[str, Any], store: BlobStore) -> bytes:
    blobs = result.get("blobs")
    for blob in blobs if isinstance(blobs, list) else []:
        if isinstance(blob, dict) and blob.get("role") == "escpos":
            sha256 = blob.get("sha256")
            if isinstance(sha256, str) and store.exists(sha256):
                return store.locate(sha256).read_bytes()
    raise NotFound(
        f"the printed bytes of job {job_id} are not stored (their upload failed, or they were "
        "removed), so its proof cannot be drawn"
    )


def _read_index(index: Path, store: BlobStore) -> str | None:
    try:
        sha256 = index.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    if _SHA256.fullmatch(sha256) and store.exists(sha256):
        return sha256
    return None  # torn, or its PNG was removed: draw again


def _write_index(index: Path, png_sha256: str) -> None:
    """Write the index file atomically (two workers may draw the same proof at once)."""
    index.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=index.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(png_sha256)
        os.replace(tmp, index)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data
