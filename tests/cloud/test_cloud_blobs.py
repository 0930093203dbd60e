"""Blob store over HTTP: streamed, verified, atomic uploads; short-lived HMAC tokens."""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from cloud.blobs import BlobStore, check_token, make_token
from cloud.settings import Settings
from cloud.wiring import Parts
from tests.cloudkit import running_cloud

MAX = 1024 * 1024
SECRET = "blob-test-secret-0123456789abcdef"
Env = tuple[Parts, httpx.AsyncClient]


@pytest.fixture
async def env(tmp_path: Path, amqtt_url: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=amqtt_url, secret_key=SECRET, blob_max_bytes=MAX
    )
    async with running_cloud(settings, seed=False) as pair:
        yield pair


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(root: Path) -> list[Path]:
    """Every file under ``root`` (blobs and any temp files)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored_files(cloud: Parts) -> list[Path]:
    return files_under(cloud.settings.data_dir / "blobs")


async def token(http: httpx.AsyncClient, digest: str, op: str, ttl_s: int = 300) -> str:
    r = await http.post(f"/api/v1/blobs/{digest}/tokens", json={"op": op, "ttl_s": ttl_s})
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


async def chunked(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    """A body without Content-Length (chunked), so the store's own limit is what stops it."""
    for i in range(0, len(data), size):
        yield data[i : i + size]


async def test_round_trip_streams_and_verifies(env: Env) -> None:
    cloud, http = env
    data = os.urandom(300_000)
    digest = sha(data)
    r = await http.post(f"/api/v1/blobs/{digest}/tokens", json={"op": "put"})
    assert r.status_code == 200
    body = r.json()
    assert body["url"] == f"http://kfleet/api/v1/blobs/{digest}?token={body['token']}"
    expires = datetime.fromisoformat(body["expires_at"]).timestamp()
    assert time.time() + 290 < expires <= time.time() + 301

    r = await http.put(body["url"], content=chunked(data))
    assert r.status_code == 201, r.text
    assert r.json() == {"sha256": digest, "size": len(data), "created": True}
    assert stored_files(cloud) == [
        cloud.settings.data_dir / "blobs" / digest[:2] / digest[2:4] / digest
    ]

    r = await http.get(
        f"/api/v1/blobs/{digest}", params={"token": await token(http, digest, "get")}
    )
    assert r.status_code == 200
    assert sha(r.content) == digest
    assert r.headers["etag"] == f'"{digest}"'
    assert r.headers["content-length"] == str(len(data))
    assert r.headers["content-type"] == "application/octet-stream"


async def test_re_put_is_idempotent_and_does_not_rewrite(env: Env) -> None:
    cloud, http = env
    data = b"%PDF-1.7 floor plan"
    digest = sha(data)
    put = {"token": await token(http, digest, "put")}
    assert (await http.put(f"/api/v1/blobs/{digest}", params=put, content=data)).status_code == 201
    [path] = stored_files(cloud)
    before = path.stat()
    r = await http.put(f"/api/v1/blobs/{digest}", params=put, content=data)
    assert r.status_code == 200
    assert r.json() == {"sha256": digest, "size": len(data), "created": False}
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert stored_files(cloud) == [path]


async def test_digest_mismatch_stores_nothing(env: Env) -> None:
    cloud, http = env
    claimed = sha(b"the scan we meant")
    sent = b"some other scan"
    r = await http.put(
        f"/api/v1/blobs/{claimed}",
        params={"token": await token(http, claimed, "put")},
        content=chunked(sent, 4),
    )
    assert r.status_code == 422
    assert r.json()["message"] == (
        f"the body's sha256 is {sha(sent)}, not {claimed}: the upload was corrupted or the "
        "wrong file was sent; upload again"
    )
    assert stored_files(cloud) == []


async def test_tokens_are_checked(env: Env) -> None:
    _, http = env
    data = b"scan"
    digest = sha(data)
    other = sha(b"another blob")
    url = f"/api/v1/blobs/{digest}"
    put = await token(http, digest, "put")
    get = await token(http, digest, "get")
    now = time.time()
    # not of the token's form: refused by the documented pattern, before any check
    for tok in ("", "not-a-token", f"{int(now) + 300}.AAAA"):
        r = await http.put(url, params={"token": tok}, content=data)
        assert r.status_code == 422, tok
        assert r.json()["errors"][0]["loc"] == ["query", "token"]
    assert (await http.put(url, content=data)).json()["message"].startswith("put on a blob needs")
    bad = {
        "forged": f"{int(now) + 300}.{'A' * 43}",
        "expired": make_token(SECRET, digest, "put", 300, now=now - 301),
        "other secret": make_token("another-cloud-secret", digest, "put", 300),
        "other digest": await token(http, other, "put"),
        "wrong op": get,
    }
    for name, tok in bad.items():
        r = await http.put(url, params={"token": tok}, content=data)
        assert r.status_code == 403, name
        assert r.json()["message"].startswith(("the blob token", "put on a blob needs")), name
    assert "expired" in (await http.put(url, params={"token": bad["expired"]})).json()["message"]

    assert (await http.put(url, params={"token": put}, content=data)).status_code == 201
    assert (await http.get(url)).status_code == 403
    for tok in (put, make_token(SECRET, digest, "get", 300, now=now - 301)):
        assert (await http.get(url, params={"token": tok})).status_code == 403
    assert (await http.get(url, params={"token": get})).content == data


def test_token_expiry_is_exact() -> None:
    digest = sha(b"x")
    tok = make_token(SECRET, digest, "get", 300, now=1000.0)
    check_token(SECRET, tok, digest, "get", now=1299.9)
    with pytest.raises(Exception, match="expired"):
        check_token(SECRET, tok, digest, "get", now=1300.0)


async def test_oversize_is_413_and_stores_nothing(env: Env) -> None:
    cloud, http = env
    data = b"\0" * (MAX + 1)
    digest = sha(data)
    params = {"token": await token(http, digest, "put")}
    # with Content-Length: refused before reading; streamed (chunked): stopped by the store
    for content in (data, chunked(data)):
        r = await http.put(f"/api/v1/blobs/{digest}", params=params, content=content)
        assert r.status_code == 413
        assert f"than the {MAX}" in r.json()["message"]
        assert "KFLEET_BLOB_MAX_BYTES" in r.json()["message"]
    assert stored_files(cloud) == []
    exact = b"\1" * MAX
    r = await http.put(
        f"/api/v1/blobs/{sha(exact)}",
        params={"token": await token(http, sha(exact), "put")},
        content=chunked(exact),
    )
    assert r.status_code == 201


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """``os.write`` fails with ENOSPC for files under the blob root, as on a full disk."""
    root = (tmp_path / "blobs").resolve()
    real_write = os.write

    def write(fd: int, data: bytes | memoryview) -> int:
        if Path(os.readlink(f"/proc/self/fd/{fd}")).is_relative_to(root):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", write)
    yield


async def test_full_disk_is_507_with_a_sentence(env: Env, full_disk: None) -> None:
    cloud, http = env
    data = os.urandom(200_000)
    digest = sha(data)
    r = await http.put(
        f"/api/v1/blobs/{digest}",
        params={"token": await token(http, digest, "put")},
        content=chunked(data),
    )
    assert r.status_code == 507
    assert r.json()["message"] == (
        f"blob {digest} was not stored: the disk holding the blob store "
        f"({cloud.settings.data_dir / 'blobs'}) is full ({os.strerror(errno.ENOSPC)}); free "
        "space on it or move KFLEET_DATA_DIR to a larger disk, then upload again"
    )
    assert stored_files(cloud) == []


@pytest.mark.parametrize("name", ["ABCD" * 16, "ab" * 31, "g" * 64, "a" * 65, "a" * 63 + "-"])
async def test_bad_sha256_is_422(env: Env, name: str) -> None:
    _, http = env
    url = f"/api/v1/blobs/{name}"
    r = await http.post(f"{url}/tokens", json={"op": "get"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["path", "sha256"]
    assert (await http.put(url, params={"token": "x"}, content=b"x")).status_code == 422
    assert (await http.get(url, params={"token": "x"})).status_code == 422


async def test_token_request_is_validated(env: Env) -> None:
    _, http = env
    url = f"/api/v1/blobs/{sha(b'x')}/tokens"
    r = await http.post(url, json={"op": "get", "ttl_s": 3601})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "ttl_s"]
    r = await http.post(url, json={"op": "delete"})
    assert r.json()["errors"][0]["loc"] == ["body", "op"]


async def test_missing_blob_is_404(env: Env) -> None:
    _, http = env
    digest = sha(b"never uploaded")
    r = await http.get(
        f"/api/v1/blobs/{digest}", params={"token": await token(http, digest, "get")}
    )
    assert r.status_code == 404
    assert f"blob {digest} is not stored" in r.json()["message"]


async def test_interrupted_upload_leaves_no_temp_file(tmp_path: Path) -> None:
    store = BlobStore(tmp_path, MAX)
    digest = sha(b"abcdef")

    async def client_goes_away() -> AsyncIterator[bytes]:
        yield b"abc"
        raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        await store.put(digest, client_goes_away())
    assert files_under(tmp_path) == []
    assert not store.exists(digest)


async def test_cancelled_upload_cleans_up_after_the_write_in_flight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The temp file's descriptor stays open until the worker thread writing it returns."""
    store = BlobStore(tmp_path, MAX)
    entered, release = threading.Event(), threading.Event()
    real_write = os.write

    def slow_write(fd: int, data: bytes | memoryview) -> int:
        entered.set()
        release.wait(5)
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", slow_write)
    task = asyncio.create_task(store.put(sha(b"abc"), chunked(b"abc")))
    await asyncio.to_thread(entered.wait, 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    [tmp] = files_under(tmp_path)  # the write is still running: not closed or removed yet
    assert tmp.name.endswith(".part")
    release.set()
    # cleanup runs in a callback once the worker thread returns; no event to await for that
    for _ in range(500):
        if not files_under(tmp_path):
            break
        await asyncio.sleep(0.01)
    assert files_under(tmp_path) == []
