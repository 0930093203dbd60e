"""A job's blob calls reuse one TLS context: httpx would load the CA bundle for every client
it opens, which cost more agent CPU than the rest of a receipt job (issue 17)."""

from __future__ import annotations

import hashlib
import ssl
from typing import Any

import pytest

from edge_agent.jobs import blob_transfer
from edge_agent.jobs.blob_transfer import fetch_blob, tls_context, upload_blobs
from protocols.jobs import Fetch, Uploads
from tests.provisioning.test_agent_blob_auth import DOC, recorder


async def test_blob_calls_build_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[dict[str, Any]] = []
    real = ssl.create_default_context

    def counting(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        built.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    tls_context.cache_clear()
    sha = hashlib.sha256(DOC).hexdigest()
    try:
        async with recorder("127.0.0.1") as (cloud, seen):
            uploads = Uploads(base=f"{cloud}/api/v1/blobs", grant="g", expires=0)
            for n in range(3):
                await upload_blobs(uploads, [("proof", "image/png", b"png %d" % n)])
                assert await fetch_blob(Fetch(url=f"{cloud}/b/{sha}", expires=0), sha) == DOC
    finally:
        tls_context.cache_clear()
    assert len(seen) == 6, "every call reached the server"
    assert len(built) == 1, f"{len(built)} TLS contexts built for 6 blob calls"


def test_the_shared_context_verifies_servers() -> None:
    ctx = blob_transfer.tls_context()
    assert ctx.verify_mode is ssl.CERT_REQUIRED
    assert ctx.check_hostname
    assert ctx is blob_transfer.tls_context()
