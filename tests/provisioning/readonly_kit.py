"""A read-only filesystem (a tmpfs mounted ``ro``) and a listener that counts connections, to
prove that ``enroll`` refuses an unwritable config before it sends anything."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from tests.conftest import require_or_skip


@contextlib.contextmanager
def tmpfs_dir(options: str = "rw") -> Iterator[Path]:
    """A directory on its own small tmpfs (needs root and mount: CI has both)."""
    where = Path(tempfile.mkdtemp(prefix="kf-ro-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"{options},size=1m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        where.rmdir()
        require_or_skip(f"mount a tmpfs (root): {mounted.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)
        where.rmdir()


def read_only_dir() -> contextlib.AbstractContextManager[Path]:
    """A directory on a read-only filesystem."""
    return tmpfs_dir("ro")


def make_read_only(where: Path) -> None:
    """Remount a :func:`tmpfs_dir` read-only (the disk failing under a running device)."""
    subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True, capture_output=True)


@contextlib.asynccontextmanager
async def counting_listener() -> AsyncIterator[tuple[str, list[int]]]:
    """An HTTP-ish listener on 127.0.0.1; yields its URL and the list of connections seen."""
    seen: list[int] = []

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(1)
        writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        server.close()
        await server.wait_closed()
