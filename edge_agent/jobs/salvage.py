"""What can be read of a job command that failed validation, and why it failed, briefly.

A ``job.run`` with an unknown kind or malformed params would otherwise wait for its TTL at the
cloud: if its ``job_id`` can be read, the agent rejects it at once with a reason. The link
parses a command's bytes once; salvage reads the same parsed object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True, slots=True)
class SalvagedJob:
    """The parts of a refused ``job.run`` needed to reject it by its id."""

    job_id: str
    attempt: int
    kind: str
    #: the ``id`` of the refused command envelope (the ack's ``corr``), if it had a usable one
    cmd_id: str | None


def brief(err: ValidationError, limit: int = 3) -> str:
    """The first ``limit`` problems of a validation error, one clause each."""
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in err.errors()[:limit]
    ]
    more = err.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def salvage(raw: Any) -> SalvagedJob | None:
    """The job named by a parsed ``job.run`` envelope that failed validation, if any."""
    body = raw.get("body") if isinstance(raw, dict) else None
    if not isinstance(body, dict) or body.get("op") != "job.run":
        return None
    job_id, attempt, kind = body.get("job_id"), body.get("attempt", 1), body.get("kind")
    if not isinstance(job_id, str) or not 1 <= len(job_id) <= 64:
        return None
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        attempt = 1
    msg_id = raw.get("id")
    cmd_id = msg_id if isinstance(msg_id, str) and 0 < len(msg_id) <= 64 else None
    return SalvagedJob(job_id, attempt, str(kind), cmd_id)
