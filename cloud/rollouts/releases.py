"""Agent releases: an uploaded ``.tar.gz`` is read for its manifest and kept as a blob.

The body streams into a temp file beside the blob store while it is hashed; the manifest
(``kfleet-release.json`` at the top of the archive) is read and checked before anything is
stored, so a bad upload leaves nothing behind. The same bytes again are the same release
(200); other bytes for a version that exists are refused (409): a version names one artifact
for ever, so a device that checked a sha256 never meets other bytes under that name.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import tarfile
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud import audit
from cloud.blobs import BlobStore, BlobTooLarge
from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.rollouts.tables import AgentRelease
from protocols.upgrade import MAX_ARTIFACT_BYTES, RELEASE_MANIFEST, ReleaseManifest

#: the manifest is a small JSON file; a bigger one is not ours
MAX_MANIFEST_BYTES = 64 * 1024
_CHUNK = 1024 * 1024


class ReleaseRefused(Unprocessable):
    """The upload is not a release the cloud can publish (422; the message says why)."""


@dataclass(frozen=True)
class Published:
    release: AgentRelease
    created: bool


def read_manifest(path: Path) -> ReleaseManifest:
    """The manifest of the gzipped tar at ``path``; :class:`ReleaseRefused` naming the
    problem if it is not a gzipped tar, has no manifest at its top, or a bad one."""
    try:
        with tarfile.open(path, mode="r:gz") as tar:
            member = next((m for m in tar if _top_manifest(m.name)), None)
            if member is None:
                raise ReleaseRefused(
                    f"the archive has no {RELEASE_MANIFEST} at its top level: build the "
                    "release with 'kfleet release build --version V --out FILE'"
                )
            if not member.isfile() or member.size > MAX_MANIFEST_BYTES:
                raise ReleaseRefused(
                    f"{RELEASE_MANIFEST} must be a regular file of at most "
                    f"{MAX_MANIFEST_BYTES} bytes"
                )
            handle = tar.extractfile(member)
            assert handle is not None  # a regular file
            raw = handle.read()
    except (tarfile.TarError, EOFError, OSError) as err:
        raise ReleaseRefused(
            f"the body is not a gzipped tar archive ({err}): send the .tar.gz that "
            "'kfleet release build' wrote, with Content-Type: application/gzip"
        ) from err
    try:
        return ReleaseManifest.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as err:
        raise ReleaseRefused(f"{RELEASE_MANIFEST} is not a valid release manifest: {err}") from err


def _temp_file(root: Path) -> Path:
    """An empty temp file beside the blobs (same file system: the put is a rename)."""
    root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=".release-", dir=root)
    os.close(fd)
    return Path(name)


def _top_manifest(name: str) -> bool:
    return name in (RELEASE_MANIFEST, f"./{RELEASE_MANIFEST}")


class Releases:
    """Publishes and looks up agent releases."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore) -> None:
        self._sessions = sessions
        self._blobs = blobs

    @property
    def max_bytes(self) -> int:
        return min(MAX_ARTIFACT_BYTES, self._blobs.max_bytes)

    async def publish(self, chunks: AsyncIterator[bytes], record: audit.AuditRecord) -> Published:
        """Store the release in ``chunks``; ``record`` (actor, ip) is completed and audited."""
        path = await asyncio.to_thread(_temp_file, self._blobs.root)
        try:
            out = await asyncio.to_thread(path.open, "wb")
            try:
                sha256, size = await self._spool(chunks, out)
            finally:
                await asyncio.to_thread(out.close)
            manifest = await asyncio.to_thread(read_manifest, path)
            async with self._sessions() as s:
                old = await s.get(AgentRelease, manifest.version)
                if old is not None:
                    return Published(_same_or_conflict(old, sha256), created=False)
                await self._blobs.put(sha256, _file_chunks(path))
                release = AgentRelease(
                    version=manifest.version,
                    sha256=sha256,
                    size=size,
                    protocol=manifest.protocol,
                    entry=list(manifest.entry),
                    notes=manifest.notes,
                    built_at=manifest.created_at,
                    created_by=record.actor,
                )
                s.add(release)
                audit.add(s, _published(record, release))
                await s.commit()
                return Published(release, created=True)
        finally:
            await asyncio.to_thread(path.unlink, missing_ok=True)

    async def _spool(self, chunks: AsyncIterator[bytes], out: BinaryIO) -> tuple[str, int]:
        digest, size, limit = hashlib.sha256(), 0, self.max_bytes
        async for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise BlobTooLarge(
                    f"the release is larger than the {limit} bytes this cloud accepts "
                    "(MAX_ARTIFACT_BYTES, KFLEET_BLOB_MAX_BYTES): leave test data and caches "
                    "out of the release"
                )
            digest.update(chunk)
            await asyncio.to_thread(out.write, chunk)
        if size == 0:
            raise ReleaseRefused("the body is empty: send the release's .tar.gz")
        return digest.hexdigest(), size

    async def list(self) -> Sequence[AgentRelease]:
        """Every release, newest first."""
        async with self._sessions() as s:
            query = select(AgentRelease).order_by(AgentRelease.created_at.desc())
            return (await s.scalars(query.limit(500))).all()

    async def get(self, version: str) -> AgentRelease:
        async with self._sessions() as s:
            release = await s.get(AgentRelease, version)
        if release is None:
            raise NotFound(
                f"agent release {version} is not published: upload it first "
                "(POST /api/v1/agent-releases)"
            )
        return release


def _same_or_conflict(old: AgentRelease, sha256: str) -> AgentRelease:
    if old.sha256 != sha256:
        raise Conflict(
            f"agent release {old.version} is already published with other bytes "
            f"(sha256 {old.sha256[:12]}…): a version names one artifact; build the new one "
            "under a new version"
        )
    return old


def _published(record: audit.AuditRecord, release: AgentRelease) -> audit.AuditRecord:
    return audit.AuditRecord(
        actor=record.actor,
        action="release.publish",
        result=audit.Result.OK,
        target=f"agent-release:{release.version}",
        ip=record.ip,
        detail={"sha256": release.sha256, "size": release.size, "protocol": release.protocol},
    )


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as f:
        while chunk := await asyncio.to_thread(f.read, _CHUNK):
            yield chunk
