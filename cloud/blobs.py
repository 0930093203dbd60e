"""Content-addressed blob store: large payloads (PDFs, scans, floor-plan images) move over HTTP.

MQTT carries at most 64 KiB (docs/protocol.md §1); anything bigger is stored here under its
sha256 and named in messages by that digest. A blob lives at ``root/ab/cd/<sha256>``. An upload
streams into a temp file in the same directory while it is hashed, is checked against the
digest it claims, fsynced and renamed into place, so a reader only ever sees whole, verified
blobs. Blobs are immutable: putting one that exists does not rewrite it.

Access goes through short-lived tokens: an HMAC-SHA256 over operation, digest and expiry,
signed with the service's secret key, so a token handed to a device works for one blob, one
operation and a few minutes only.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import hashlib
import hmac
import os
import re
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Literal, TypeVar

from cloud.errors import CloudError, NotFound, Unprocessable

#: What a blob's name must look like: a sha256 digest in lowercase hex.
SHA256_PATTERN = r"^[0-9a-f]{64}$"
_SHA256 = re.compile(SHA256_PATTERN)

#: Default and longest lifetime of a blob token, in seconds.
DEFAULT_TOKEN_TTL_S = 300
MAX_TOKEN_TTL_S = 3600

BlobOp = Literal["get", "put"]
_T = TypeVar("_T")

#: Errors that mean "the disk is full" (a quota counts as a full disk for the operator).
_FULL = {errno.ENOSPC, errno.EDQUOT}


class BlobTooLarge(CloudError):
    """The upload is bigger than the store accepts (HTTP 413)."""

    status_code = 413


class DigestMismatch(Unprocessable):
    """The uploaded bytes do not hash to the digest they were sent under (HTTP 422)."""


class BlobStoreFull(CloudError):
    """The disk under the store has no space left (HTTP 507)."""

    status_code = 507


class BlobTokenInvalid(CloudError):
    """A blob token is malformed, expired, or for another blob or operation (HTTP 403)."""

    status_code = 403


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    size: int
    #: False when the blob was already stored (the upload changed nothing).
    created: bool


def check_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex characters, else raise ``Unprocessable``."""
    if not _SHA256.fullmatch(sha256):
        raise Unprocessable(
            f"{sha256[:80]!r} is not a blob name: blobs are named by their sha256 as 64 "
            "lowercase hex characters"
        )
    return sha256


class BlobStore:
    """Blobs under ``root``; uploads larger than ``max_bytes`` are refused."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path_of(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def locate(self, sha256: str) -> Path:
        """The stored file of ``sha256``; ``NotFound`` if there is none."""
        path = self.path_of(sha256)
        if not path.is_file():
            raise NotFound(
                f"blob {sha256} is not stored: upload it first (PUT with a put token), "
                "or check the digest"
            )
        return path

    def open(self, sha256: str) -> BinaryIO:
        """The blob for reading; ``NotFound`` if it is not stored."""
        return self.locate(sha256).open("rb")

    async def put(self, expected_sha256: str, chunks: AsyncIterator[bytes]) -> BlobInfo:
        """Store the bytes of ``chunks`` as blob ``expected_sha256``.

        Nothing is read when the blob is already stored. On any failure (digest mismatch, too
        large, full disk, the client going away) the temp file is removed and nothing is stored.
        """
        final = self.path_of(expected_sha256)
        if final.is_file():
            return BlobInfo(expected_sha256, final.stat().st_size, created=False)
        upload = _Upload(final)
        try:
            await upload.run(upload.create)
            digest = hashlib.sha256()
            size = 0
            async for chunk in chunks:
                if not chunk:
                    continue
                size += len(chunk)
                if size > self.max_bytes:
                    raise BlobTooLarge(
                        f"blob {expected_sha256} is larger than the {self.max_bytes} bytes "
                        "this cloud accepts: send a smaller file (compress or split it), "
                        "or raise KFLEET_BLOB_MAX_BYTES"
                    )
                await upload.run(upload.absorb, digest, chunk)
            actual = digest.hexdigest()
            if actual != expected_sha256:
                raise DigestMismatch(
                    f"the body's sha256 is {actual}, not {expected_sha256}: the upload was "
                    "corrupted or the wrong file was sent; upload again"
                )
            created = await upload.run(upload.publish)
            return BlobInfo(expected_sha256, size, created=created)
        except OSError as err:
            if err.errno in _FULL:
                raise self._full(err, expected_sha256) from err
            raise
        finally:
            upload.discard()

    def _full(self, err: OSError, sha256: str) -> BlobStoreFull:
        return BlobStoreFull(
            f"blob {sha256} was not stored: the disk holding the blob store ({self.root}) "
            f"is full ({os.strerror(err.errno or errno.ENOSPC)}); free space on it or move "
            "KFLEET_DATA_DIR to a larger disk, then upload again"
        )


class _Upload:
    """The temp file of one upload. File work runs in worker threads; a thread cannot be
    cancelled, so when the upload is (client gone) the temp file is closed and removed only
    once the thread in flight has finished with it (its descriptor must not be reused early).
    """

    def __init__(self, final: Path) -> None:
        self.final = final
        self.fd = -1
        self.tmp: Path | None = None
        self.published = False
        self._pending: asyncio.Future[Any] | None = None

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        future = asyncio.get_running_loop().run_in_executor(None, fn, *args)
        self._pending = future
        result: _T = await asyncio.shield(future)
        return result

    def create(self) -> None:
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.fd, name = tempfile.mkstemp(
            dir=self.final.parent, prefix=f".{self.final.name[:16]}.", suffix=".part"
        )
        self.tmp = Path(name)

    def absorb(self, digest: hashlib._Hash, chunk: bytes) -> None:
        """Hash and write one chunk (hashlib and os.write release the GIL)."""
        digest.update(chunk)
        view = memoryview(chunk)
        while view:
            written = os.write(self.fd, view)
            view = view[written:]

    def publish(self) -> bool:
        """fsync, rename into place and make the rename durable; False if already stored."""
        assert self.tmp is not None
        os.fsync(self.fd)
        if self.final.is_file():  # a concurrent upload of the same blob finished first
            return False
        os.replace(self.tmp, self.final)
        self.published = True
        dir_fd = os.open(self.final.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return True

    def discard(self) -> None:
        """Close the temp file and remove it unless published: now, or when the thread in
        flight is done (synchronous metadata work, so a second cancel cannot skip it)."""
        pending = self._pending
        if pending is not None and not pending.done():
            pending.add_done_callback(self._discard_after)
        else:
            self._close()

    def _discard_after(self, future: asyncio.Future[Any]) -> None:
        if not future.cancelled():
            future.exception()  # retrieved: it was the cancelled upload's, nobody awaits it
        self._close()

    def _close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.tmp is not None and not self.published:
            with contextlib.suppress(FileNotFoundError):
                self.tmp.unlink()


# --- tokens -----------------------------------------------------------------------------------


def _key(secret: str | bytes) -> bytes:
    """A key for blob tokens only, derived from the service secret (domain separation)."""
    raw = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(raw, b"kfleet blob token v1", hashlib.sha256).digest()


def _mac(secret: str | bytes, sha256: str, op: str, expires: int) -> str:
    msg = f"{op}\n{sha256}\n{expires}".encode()
    mac = hmac.new(_key(secret), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def make_token(
    secret: str | bytes,
    sha256: str,
    op: BlobOp,
    ttl_s: int = DEFAULT_TOKEN_TTL_S,
    now: float | None = None,
) -> str:
    """A token allowing ``op`` on blob ``sha256`` until ``now + ttl_s`` (unix seconds; ``now``
    defaults to the clock).

    Form: ``<expiry>.<base64url HMAC-SHA256(op, sha256, expiry)>`` — URL-safe as it is.
    """
    check_sha256(sha256)
    if not 1 <= ttl_s <= MAX_TOKEN_TTL_S:
        raise Unprocessable(
            f"a blob token lives 1 to {MAX_TOKEN_TTL_S} s, not {ttl_s}: ask for a shorter ttl_s"
        )
    expires = int(time.time() if now is None else now) + ttl_s
    return f"{expires}.{_mac(secret, sha256, op, expires)}"


def token_expiry(token: str) -> int:
    """The unix time a token (from :func:`make_token`) stops working."""
    return int(token.partition(".")[0])


def check_token(
    secret: str | bytes, token: str, sha256: str, op: BlobOp, now: float | None = None
) -> None:
    """Raise ``BlobTokenInvalid`` unless ``token`` allows ``op`` on ``sha256`` at ``now``."""
    if now is None:
        now = time.time()
    expires_text, _, mac = token.partition(".")
    if not (expires_text.isascii() and expires_text.isdigit() and mac):
        raise BlobTokenInvalid(
            "the blob token is malformed: pass the token exactly as the tokens endpoint returned it"
        )
    expires = int(expires_text)
    if not hmac.compare_digest(mac.encode(), _mac(secret, sha256, op, expires).encode()):
        raise BlobTokenInvalid(
            f"the blob token does not allow {op} on blob {sha256}: it was issued for another "
            "blob or operation (or by another cloud); ask for a token for this one"
        )
    if now >= expires:
        raise BlobTokenInvalid(
            f"the blob token expired {int(now) - expires} s ago: ask for a new one and use it "
            "within its ttl"
        )


# --- upload grants ----------------------------------------------------------------------------
#
# A snapshot/scan job cannot carry per-blob tokens: the hashes exist only after the capture. The
# cloud sends instead a grant bound to the job: ``<job id>.<expiry>.<mac>``. It allows PUT of any
# blob until the expiry, and only while the job is dispatched, accepted or running (the API
# checks the job's state; this module checks the MAC and the clock).


class GrantInvalid(BlobTokenInvalid):
    """An upload grant is malformed, forged, expired, or its job no longer runs (HTTP 403)."""


def _grant_mac(secret: str | bytes, job_id: str, expires: int) -> str:
    raw = secret.encode() if isinstance(secret, str) else secret
    key = hmac.new(raw, b"kfleet upload grant v1", hashlib.sha256).digest()
    mac = hmac.new(key, f"{job_id}\n{expires}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def make_grant(secret: str | bytes, job_id: str, ttl_s: int, now: float | None = None) -> str:
    """A grant letting job ``job_id`` upload blobs until ``now + ttl_s`` (unix seconds)."""
    expires = int(time.time() if now is None else now) + ttl_s
    return f"{job_id}.{expires}.{_grant_mac(secret, job_id, expires)}"


def grant_expiry(grant: str) -> int:
    return int(grant.split(".")[1])


def check_grant(secret: str | bytes, grant: str, now: float | None = None) -> str:
    """The job id ``grant`` was minted for; ``GrantInvalid`` if it is forged or expired."""
    if now is None:
        now = time.time()
    parts = grant.split(".")
    if len(parts) != 3 or not (parts[1].isascii() and parts[1].isdigit()) or not parts[0]:
        raise GrantInvalid(
            "the upload grant is malformed: pass it exactly as the job's params.uploads.grant"
        )
    job_id, expires = parts[0], int(parts[1])
    if not hmac.compare_digest(parts[2].encode(), _grant_mac(secret, job_id, expires).encode()):
        raise GrantInvalid(
            "the upload grant was not issued by this cloud for this job; use the grant of the "
            "job being run"
        )
    if now >= expires:
        raise GrantInvalid(
            f"the upload grant of job {job_id} expired {int(now) - expires} s ago: the job took "
            "too long; it will be sent again with a new grant if attempts remain"
        )
    return job_id
