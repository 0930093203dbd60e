"""Reading what can be read of a job command that failed validation, and saying why briefly.

A ``job.run`` with an unknown kind or malformed params would otherwise wait for its TTL at the
cloud: if its ``job_id`` can be read, the agent rejects it at once with a reason.
"""

from __future__ import annotations

import json

from pydantic import ValidationError


def brief(err: ValidationError, limit: int = 3) -> str:
    parts = [
        f"{'.'.join(str(p) for p in e['loc']) or '(root)'}: {e['msg']}"
        for e in err.errors()[:limit]
    ]
    more = err.error_count() - limit
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def salvage(payload: bytes) -> tuple[str, int, str, str | None] | None:
    """(job_id, attempt, kind, command id) from a ``job.run`` that failed validation."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return None
    body = raw.get("body") if isinstance(raw, dict) else None
    if not isinstance(body, dict) or body.get("op") != "job.run":
        return None
    job_id, attempt, kind = body.get("job_id"), body.get("attempt", 1), body.get("kind")
    if not isinstance(job_id, str) or not 1 <= len(job_id) <= 64:
        return None
    if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
        attempt = 1
    msg_id = raw.get("id")
    corr = msg_id if isinstance(msg_id, str) and 0 < len(msg_id) <= 64 else None
    return job_id, attempt, str(kind), corr
