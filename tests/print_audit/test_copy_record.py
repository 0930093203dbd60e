"""The agent's record of a copy never undoes the copy: without a grant, or with a cloud that
cannot be reached, the result still names the page's sha256 and says why it was not kept."""

from __future__ import annotations

import hashlib

from edge_agent.jobs.copy_record import copy_record
from kfleet.world.net import free_port
from protocols.jobs import Uploads

PDF = b"%PDF-1.4 a marked page"


async def test_without_a_grant_the_hash_is_kept_and_the_reason_said() -> None:
    out = await copy_record(None, PDF)
    assert out["page"] == {"sha256": hashlib.sha256(PDF).hexdigest(), "bytes": len(PDF)}
    assert "upload grant" in out["page_error"] and "blobs" not in out


async def test_an_unreachable_cloud_is_a_page_error_not_a_failure() -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/v1/blobs"  # nothing listens there
    out = await copy_record(Uploads(base=closed, grant="j.1.m", expires=1), PDF)
    assert out["page"]["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert out["page_error"].startswith("the copy was printed, but its page was not kept")
