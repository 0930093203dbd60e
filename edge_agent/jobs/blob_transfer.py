"""Moving a job's blobs over HTTP: uploads with the job's grant, downloads with a read URL.

Large content (scans, stills, PDFs) never rides in MQTT payloads (protocol §11, §13). Both
directions verify sha256: an upload is named by its hash and the cloud checks it; a download
is hashed here and refused if it is not the blob the job names, so a wrong or truncated
document never reaches the printer.
"""

from __future__ import annotations

import functools
import hashlib
import ssl
from typing import Any

import httpx

from edge_agent.errors import AgentError
from edge_agent.jobs.device_auth import basic_for
from protocols.jobs import Fetch, Uploads

UPLOAD_TIMEOUT_S = 30.0
DOWNLOAD_TIMEOUT_S = 60.0
#: the largest document an agent downloads for printing
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024

#: one captured blob: (role, content type, bytes)
Capture = tuple[str, str, bytes]


class UploadFailed(AgentError):
    """A blob could not be uploaded; the message says why (the cloud's sentence if it gave one)."""


class DownloadFailed(AgentError):
    """A job's input blob could not be fetched, or is not the blob the job names."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS settings of every blob call, built once per process.

    httpx builds a new context for every client it opens, loading the whole CA bundle: about
    5–20 ms of CPU, more than the rest of a receipt job costs the agent (issue 17). Built
    with httpx's defaults (its CA bundle, ``SSL_CERT_FILE``/``SSL_CERT_DIR`` as they are at
    the first call), so what the agent trusts is unchanged.
    """
    return httpx.create_ssl_context()


async def upload_blobs(uploads: Uploads, captures: list[Capture]) -> list[dict[str, Any]]:
    """PUT each blob to ``{base}/{sha256}?grant=...``; the ``result.blobs`` entries."""
    blobs = []
    async with httpx.AsyncClient(timeout=UPLOAD_TIMEOUT_S, verify=tls_context()) as client:
        for role, content_type, data in captures:
            digest = hashlib.sha256(data).hexdigest()
            try:
                r = await client.put(
                    f"{uploads.base}/{digest}",
                    params={"grant": uploads.grant},
                    auth=_auth(uploads.base),
                    content=data,
                    headers={"content-type": "application/octet-stream"},
                )
            except httpx.HTTPError as err:
                raise UploadFailed(
                    f"upload of the {role} to {uploads.base} failed: {err!r}"
                ) from err
            if r.status_code not in (200, 201):
                raise UploadFailed(
                    f"the cloud refused the {role} upload (HTTP {r.status_code}): {_detail(r)}"
                )
            blobs.append(
                {"sha256": digest, "content_type": content_type, "bytes": len(data), "role": role}
            )
    return blobs


def _auth(url: str) -> Any:
    """The device's Basic credentials for a URL of its own cloud, else none."""
    return basic_for(url) or httpx.USE_CLIENT_DEFAULT


def _detail(r: httpx.Response) -> str:
    """The cloud's sentence from its error body (``message``), else the body's text."""
    try:
        body = r.json()
        message = body.get("message") if isinstance(body, dict) else None
    except ValueError:
        message = None
    return str(message if message is not None else r.text)[:300]


async def fetch_blob(fetch: Fetch, sha256: str, *, max_bytes: int = MAX_DOWNLOAD_BYTES) -> bytes:
    """GET ``fetch.url`` (streamed, bounded) and check that it hashes to ``sha256``."""
    digest = hashlib.sha256()
    chunks: list[bytes] = []
    size = 0
    try:
        async with (
            httpx.AsyncClient(timeout=DOWNLOAD_TIMEOUT_S, verify=tls_context()) as client,
            client.stream("GET", fetch.url, auth=_auth(fetch.url)) as r,
        ):
            if r.status_code != 200:
                await r.aread()
                raise DownloadFailed(
                    f"the cloud refused the download of blob {sha256[:12]}… "
                    f"(HTTP {r.status_code}): {_detail(r)}"
                )
            async for chunk in r.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadFailed(
                        f"blob {sha256[:12]}… is larger than the {max_bytes} bytes an agent "
                        "prints; nothing was printed"
                    )
                digest.update(chunk)
                chunks.append(chunk)
    except httpx.HTTPError as err:
        raise DownloadFailed(f"download of blob {sha256[:12]}… failed: {err!r}") from err
    if digest.hexdigest() != sha256:
        raise DownloadFailed(
            f"the downloaded document hashes to {digest.hexdigest()[:12]}…, not to "
            f"{sha256[:12]}… as the job says: it was damaged on the way; nothing was printed"
        )
    return b"".join(chunks)
