"""Download a release, check it, and unpack it beside the running one — or say why not.

Nothing here touches what runs: the artifact goes to a temporary file under
``<data_dir>/releases``, is checked against the order's size and sha256 *before* anything is
unpacked, and is unpacked into a temporary directory that becomes ``releases/<version>`` by
one rename only once its manifest checks out. Every failure is a :class:`StagingFailed` with a
machine reason (``download``, ``size``, ``checksum``, ``archive``, ``manifest``,
``disk_full``) and a sentence; the old version keeps running.

The archive is untrusted even with a good checksum (a release built wrong, a compromised
build): members must be regular files or directories under the release (no absolute paths, no
``..``, no links, no devices), at most :data:`MAX_MEMBERS` of them and
:data:`MAX_UNPACKED_BYTES` in all, counted from the headers before a byte is written.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import shutil
import tarfile
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import httpx
from pydantic import ValidationError

from edge_agent.errors import AgentError
from edge_agent.jobs.device_auth import basic_for
from protocols import PROTOCOL_VERSION
from protocols.upgrade import RELEASE_MANIFEST, Artifact, ReleaseManifest

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 10.0, 60.0
#: whole download (256 MB at a slow site's ~1 MB/s fits)
DOWNLOAD_DEADLINE_S = 900.0
MAX_MEMBERS = 20_000
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
#: free space asked for besides the archive and its unpacked size (journal and outbox grow)
DISK_MARGIN_BYTES = 64 * 1024 * 1024
#: the artifact's sha256, kept in the release so the same order later reuses it
STAGED_MARK = ".kfleet-sha256"


class StagingFailed(AgentError):
    """A release could not be staged; ``reason`` is the ``upgrade`` event's reason."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_room(root: Path, artifact: Artifact) -> None:
    """Refuse early when the disk cannot hold the archive and what it unpacks to."""
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    needed = artifact.size * 4 + DISK_MARGIN_BYTES  # archive + about 3x unpacked
    if free < needed:
        raise StagingFailed(
            "disk_full",
            f"only {free // 2**20} MiB free under {root}; the release needs about "
            f"{needed // 2**20} MiB: free some space and order it again",
        )


async def download(artifact: Artifact, dest: Path) -> None:
    """Stream the artifact into ``dest``; refuse a wrong size or hash (``dest`` removed)."""
    digest = hashlib.sha256()
    try:
        out = await asyncio.to_thread(open, dest, "wb")
        try:
            size = await _stream(artifact, digest, out)
        finally:
            await asyncio.to_thread(out.close)
        _check_digest(artifact, size, digest.hexdigest())
    except BaseException as err:
        await asyncio.to_thread(dest.unlink, True)
        if isinstance(err, httpx.HTTPError):
            raise StagingFailed("download", f"the release download failed: {err!r}") from err
        if isinstance(err, OSError):
            raise disk_error(err, dest) from err
        raise


async def _stream(artifact: Artifact, digest: Any, out: BinaryIO) -> int:
    """GET the artifact into ``out``, bounded by its announced size; the bytes written."""
    size = 0
    auth = basic_for(artifact.url) or httpx.USE_CLIENT_DEFAULT
    timeout = httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
    async with (
        asyncio.timeout(DOWNLOAD_DEADLINE_S),
        httpx.AsyncClient(timeout=timeout) as client,
        client.stream("GET", artifact.url, auth=auth) as r,
    ):
        if r.status_code != 200:
            raise StagingFailed(
                "download", f"the cloud refused the release download (HTTP {r.status_code})"
            )
        async for chunk in r.aiter_bytes():
            size += len(chunk)
            if size > artifact.size:
                raise StagingFailed(
                    "size", f"the release is larger than the {artifact.size} bytes ordered"
                )
            digest.update(chunk)
            await asyncio.to_thread(out.write, chunk)
    return size


def _check_digest(artifact: Artifact, size: int, sha256: str) -> None:
    if size != artifact.size:
        raise StagingFailed("size", f"the release is {size} bytes, not {artifact.size}")
    if sha256 != artifact.sha256:
        raise StagingFailed(
            "checksum",
            f"the release hashes to {sha256[:12]}…, not {artifact.sha256[:12]}… as ordered: "
            "it was damaged on the way or is not the release the cloud published",
        )


def disk_error(err: OSError, where: Path) -> StagingFailed:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return StagingFailed("disk_full", f"the disk is full under {where.parent}")
    return StagingFailed("disk", f"cannot write under {where.parent}: {err.strerror or err}")


def unpack(archive: Path, into: Path, version: str) -> ReleaseManifest:
    """Unpack ``archive`` into the new directory ``into`` and check its manifest."""
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = tar.getmembers()
            _check_members(members)
            into.mkdir(parents=True)
            tar.extractall(into, members=members, filter="data")
    except (tarfile.TarError, EOFError, ValueError) as err:
        raise StagingFailed("archive", f"the release is not a usable .tar.gz: {err}") from err
    except OSError as err:
        raise disk_error(err, into) from err
    return read_manifest(into, version)


def _check_members(members: list[tarfile.TarInfo]) -> None:
    if len(members) > MAX_MEMBERS:
        raise StagingFailed("archive", f"the release holds over {MAX_MEMBERS} files")
    total = 0
    for m in members:
        path = PurePosixPath(m.name)
        if path.is_absolute() or ".." in path.parts:
            raise StagingFailed("archive", f"the release names a path outside itself: {m.name!r}")
        if not (m.isfile() or m.isdir()):
            raise StagingFailed(
                "archive", f"the release holds a link or device file: {m.name!r} (refused)"
            )
        total += m.size
        if total > MAX_UNPACKED_BYTES:
            raise StagingFailed(
                "archive", f"the release unpacks to over {MAX_UNPACKED_BYTES // 2**20} MiB"
            )


def read_manifest(release: Path, version: str) -> ReleaseManifest:
    """The release's manifest, checked against the order and this agent's protocol."""
    try:
        manifest = ReleaseManifest.model_validate_json((release / RELEASE_MANIFEST).read_bytes())
    except FileNotFoundError as err:
        raise StagingFailed("manifest", f"the release has no {RELEASE_MANIFEST}") from err
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top)"
        raise StagingFailed("manifest", f"{RELEASE_MANIFEST}: {where}: {first['msg']}") from err
    if manifest.version != version:
        raise StagingFailed(
            "manifest", f"the release says it is {manifest.version}, the order says {version}"
        )
    if manifest.protocol != PROTOCOL_VERSION:
        raise StagingFailed(
            "manifest",
            f"the release speaks protocol {manifest.protocol}, the fleet {PROTOCOL_VERSION}",
        )
    entry = PurePosixPath(manifest.entry[0])
    if entry.is_absolute() or ".." in entry.parts or not (release / entry).is_file():
        raise StagingFailed(
            "manifest", f"the release's entry {manifest.entry[0]!r} is not a file inside it"
        )
    return manifest
