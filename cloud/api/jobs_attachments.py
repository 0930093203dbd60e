"""``GET /api/v1/jobs/{job_id}/attachments/{role}``: a job's uploaded blob, for people.

A scan's JPEG and PDF, a snapshot's JPEG are blobs the device uploaded under the job's grant
and named in ``result.blobs``. A receipt's proof (the PNG of what the paper showed) is drawn
here from the bytes the device printed, the first time it is asked for, and kept as a blob
(:mod:`cloud.receipt_proofs`); agents older than that uploaded the PNG as role ``proof``.
The console shows them inline (``<img src>``, the session cookie authorises it): the caller
needs ``jobs.read`` and the job in their subtree, exactly like ``GET /jobs/{id}`` — a job
outside it is a 404, as if it did not exist. Minting ``get`` tokens from the page instead
would hand out URLs that work for anyone for minutes; this route re-checks who asks, every
time (``no-cache`` + ``ETag``: a browser revalidates, the bytes move once).

The content type comes from the role, never from what the device wrote in the result, and
``nosniff`` keeps a browser from guessing: a blob cannot become a page of the console.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse

from cloud.api.callers import JobsReader
from cloud.api.deps import BlobStoreDep, JobPathId, JobServiceDep
from cloud.api.errors import error_responses
from cloud.errors import NotFound
from cloud.receipt_proofs import DrawnProof, drawn_proof
from cloud.schemas import JobOut

router = APIRouter(
    prefix="/api/v1/jobs",
    tags=["jobs"],
    responses=error_responses(401, 403, 422, 500),
)

#: role → (content type, file extension); another role is served as octet-stream
ROLE_TYPES: dict[str, tuple[str, str]] = {
    "jpeg": ("image/jpeg", "jpg"),
    "pdf": ("application/pdf", "pdf"),
    "proof": ("image/png", "png"),
}
_OTHER = ("application/octet-stream", "bin")

Role = Annotated[
    str,
    Path(
        pattern=r"^[a-z][a-z0-9_]{0,31}$",
        description="the blob's role in result.blobs: jpeg, pdf (scan), jpeg (snapshot), "
        "proof (print_receipt: a PNG of what the paper showed, drawn by the cloud from the "
        "bytes printed), escpos (print_receipt: those bytes, when too large for the result)",
    ),
]


def attachments_of(job: JobOut) -> dict[str, str]:
    """role → sha256 of the blobs the job's result names (the first of each role)."""
    blobs = (job.result or {}).get("blobs")
    found: dict[str, str] = {}
    for blob in blobs if isinstance(blobs, list) else []:
        if isinstance(blob, dict):
            role, sha256 = blob.get("role"), blob.get("sha256")
            if isinstance(role, str) and isinstance(sha256, str):
                found.setdefault(role, sha256)
    return found


def _missing_role(job: JobOut, role: str, have: dict[str, str]) -> NotFound:
    roles = ", ".join(sorted(have)) or "none"
    why = "" if job.result is not None else f" (it is {job.state.value} and has no result yet)"
    extra = job.result.get("proof_error") if job.result and role == "proof" else None
    said = f"; the device said: {extra}" if isinstance(extra, str) and extra else ""
    return NotFound(
        f"job {job.id} ({job.kind}) has no {role!r} attachment{why}{said}; its attachments: {roles}"
    )


_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the blob's bytes; Content-Type from the role; ETag is its sha256",
        "content": {media: {} for media, _ in (*ROLE_TYPES.values(), _OTHER)},
    },
    304: {"description": "If-None-Match named this blob: the browser's copy is current"},
    **error_responses(
        described={
            404: "no such job (or outside your scope), the job has no attachment of this role, "
            "its blob is not stored, or (proof) its printed bytes cannot be read or drawn"
        }
    ),
}


@router.get(
    "/{job_id}/attachments/{role}", response_class=FileResponse, responses=_DOC, response_model=None
)
async def job_attachment(
    job_id: JobPathId,
    role: Role,
    caller: JobsReader,
    jobs: JobServiceDep,
    store: BlobStoreDep,
    request: Request,
) -> Response:
    """The blob of role ``role`` the job's device uploaded (``result.blobs``), streamed."""
    job = await jobs.get(job_id, caller)
    have = attachments_of(job)
    sha256 = have.get(role)
    drawn: DrawnProof | None = None
    if sha256 is None and role == "proof" and job.result is not None:
        drawn = await drawn_proof(job_id, job.result, store)
        sha256 = drawn.sha256 if drawn is not None else None
    if sha256 is None:
        raise _missing_role(job, role, have)
    if drawn is None and not store.exists(sha256):
        raise NotFound(
            f"the {role} of job {job_id} names blob {sha256}, which is not stored (its upload "
            "failed, or the blob was removed by retention)"
        )
    media, ext = ROLE_TYPES.get(role, _OTHER)
    headers = {
        "ETag": f'"{sha256}"',
        "Cache-Control": "private, no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    if f'"{sha256}"' in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if drawn is not None and drawn.png is not None:  # drawn, but the store could not keep it
        disposition = f'inline; filename="job-{job_id}-{role}.{ext}"'
        headers["Content-Disposition"] = disposition
        return Response(drawn.png, media_type=media, headers=headers)
    return FileResponse(
        store.locate(sha256),
        media_type=media,
        headers=headers,
        filename=f"job-{job_id}-{role}.{ext}",
        content_disposition_type="inline",
    )
