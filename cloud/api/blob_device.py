"""Device credentials on the blob routes the agent calls (``GET``/``PUT /api/v1/blobs/…``).

The capability tokens stay what authorises a transfer: a read ``token`` (one blob, minutes)
or a job's upload ``grant`` (one job, while it runs) — unforgeable, short-lived and bound to
what they name, they work without device credentials as before. Device credentials (HTTP
Basic ``device_id:secret``) are accepted alongside them:

- with a grant, they must be the credentials of the device the job is assigned to (a grant
  copied off one device is useless on another device's credentials): 403 otherwise;
- with a read token, they are checked (a wrong or revoked secret is a 401) and nothing more;
- alone, on ``GET``, they read the blobs of the jobs assigned to that device and not yet
  finished (a ``print_document``'s PDF), and the images of its own site's hall content — the
  current or the previous published floor plan and window information (issue 13: screens
  fetch the plan and staff photos), and the newest two publications of the service-guide
  catalogue (issue 14: kiosks fetch it; the guide is public information); nothing else
  (403); ``PUT`` still needs a grant.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from cloud.api.deps import SessionsDep
from cloud.auth.principal import Principal, PrincipalKind
from cloud.blobs import BlobTokenInvalid
from cloud.db.models import Job
from cloud.hall.content_repo import readable_blobs
from cloud.kiosk import catalogue_repo
from cloud.schemas import ErrorBody
from protocols.jobs import JobKind, JobState

DEVICE_AUTH_DOC: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorBody,
        "description": "device credentials were sent and are wrong or revoked (code says which)",
    }
}

#: a job whose inputs its device may read: it holds it, or it is about to
READABLE_STATES = (JobState.DISPATCHED, JobState.ACCEPTED, JobState.RUNNING)


def as_device(caller: Principal | None) -> Principal | None:
    """The caller if it is a device (a person's or token's credentials change nothing here)."""
    return caller if caller is not None and caller.kind is PrincipalKind.DEVICE else None


async def check_device_may_read(sessions: SessionsDep, device: Principal, sha256: str) -> None:
    """Without a token, a device reads only the documents of the jobs it holds and the images
    of its site's current or previous hall content."""
    async with sessions() as s:
        params = (
            await s.scalars(
                select(Job.params).where(
                    Job.assigned_device_id == device.name,
                    Job.state.in_(READABLE_STATES),
                    Job.kind == JobKind.PRINT_DOCUMENT,
                )
            )
        ).all()
    if any(isinstance(p, dict) and p.get("document") == sha256 for p in params):
        return
    if device.device_site:
        async with sessions() as s:
            if sha256 in await readable_blobs(s, device.device_site):
                return
    async with sessions() as s:
        if sha256 in await catalogue_repo.readable_blobs(s):
            return
    raise BlobTokenInvalid(
        f"device {device.name} holds no job that prints blob {sha256}, and its site's "
        "current content names no such image (nor is it a current catalogue); a device "
        "reads only the documents of its "
        "own dispatched jobs and its own site's content (or use the job's fetch URL)"
    )
