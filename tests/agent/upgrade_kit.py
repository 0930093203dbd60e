"""Releases for the upgrade tests: real ``.tar.gz`` artifacts (good and hostile), an HTTP
server that serves them, and small fake agents the launcher can run.

A fake agent is a release whose entry is ``bin/fake.py <behaviour>``: it appends
``<version> <pid>`` to ``<data_dir>/starts.log`` and then ``good`` claims the ``healthy``
verdict (as the real agent does once its birth is out) and waits for SIGTERM, ``crash``
exits 3, ``hang`` waits for SIGTERM without a verdict. It writes the verdict the way
``edge_agent.upgrade.layout`` does (a private file hard-linked into place), by hand: the
release runs from its own directory and imports nothing of ours.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from protocols.upgrade import RELEASE_MANIFEST, Artifact

FAKE_AGENT = """import os, signal, sys, time
from pathlib import Path

version, behaviour = sys.argv[1], sys.argv[2]
data = Path(sys.argv[sys.argv.index("--data") + 1])
with open(data / "starts.log", "a") as log:
    log.write(f"{version} {os.getpid()} {os.environ.get('KFLEET_AGENT_VERSION')}\\n")
if behaviour == "crash":
    sys.exit(3)
if behaviour == "good":
    releases = data / "releases"
    pending = releases / "pending.json"
    if pending.exists() and json_version(pending) == version:
        tmp = releases / f".verdict-{os.getpid()}"
        tmp.write_text("healthy")
        try:
            os.link(tmp, releases / "verdict")
        except FileExistsError:
            pass
        tmp.unlink()
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    signal.pause()
"""
FAKE_HEAD = """import json


def json_version(path):
    return json.loads(path.read_text())["version"]


"""


def manifest(version: str, entry: list[str] | None = None) -> bytes:
    return json.dumps(
        {"version": version, "protocol": 1, "entry": entry or ["bin/fake.py"], "notes": ""}
    ).encode()


def fake_release(root: Path, version: str, behaviour: str, data_dir: Path) -> Path:
    """``root/<version>``: a fake agent release the launcher can run."""
    home = root / version
    (home / "bin").mkdir(parents=True)
    entry = ["bin/fake.py", version, behaviour, "--data", str(data_dir)]
    (home / RELEASE_MANIFEST).write_bytes(manifest(version, entry))
    (home / "bin" / "fake.py").write_text(FAKE_HEAD + FAKE_AGENT)
    return home


def targz(members: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    """A gzipped tar of ``members`` (name → bytes) and symlinks (name → target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
    return buf.getvalue()


def release_bytes(version: str, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal valid release: manifest and entry script (and ``extra`` members)."""
    return targz(
        {
            RELEASE_MANIFEST: manifest(version, ["bin/kfleet-agent.py", "run"]),
            "bin/kfleet-agent.py": b"print('agent')\n",
            **(extra or {}),
        }
    )


class ArtifactServer:
    """Serves ``blobs`` (path → bytes) over HTTP on 127.0.0.1; 404 for anything else."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        blobs = self.blobs

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = blobs.get(self.path.split("?")[0])
                self.send_response(200 if body is not None else 404)
                self.send_header("content-length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def artifact(self, name: str, data: bytes, **override: object) -> Artifact:
        """Serve ``data`` as ``/name`` and describe it as an order would."""
        self.blobs[f"/{name}"] = data
        fields: dict[str, object] = {
            "url": f"http://127.0.0.1:{self.server.server_address[1]}/{name}?token=t",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            **override,
        }
        return Artifact.model_validate(fields)


@contextmanager
def artifact_server() -> Iterator[ArtifactServer]:
    server = ArtifactServer()
    thread = threading.Thread(target=server.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        thread.join()
