"""A real Janus (Debian's ``janus``) for the tests, in a private network namespace.

Janus never gathers ICE candidates on a loopback interface (its ``ice.c`` skips
``IFF_LOOPBACK``; ``ice_enforce_list = "lo"`` then matches nothing and libnice falls back to
every interface, the host's LAN included). So the tests give Janus a namespace of its own
(``unshare -n``) with ``lo`` and a veth pair whose ends both stay inside it: Janus offers
only ``10.254.0.1`` (``ice_enforce_list = "kfj0"``), its HTTP APIs bind 127.0.0.1, and
nothing in the namespace reaches any network. The test's own peer connections and HTTP
clients are made while the test thread is switched into that namespace (:func:`inside`),
then it switches back. Needs root (as CI has); without it or without ``janus`` the test is
skipped, and fails under ``KFLEET_REQUIRE_SERVERS=1``.

Config: ``.ci/janus/*.jcfg`` with the ``@...@`` values filled in.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".ci" / "janus"
#: the one address Janus and the test's peers use inside the namespace
MEDIA_ADDRESS = "10.254.0.1"
HTTP_PORT = 8088
ADMIN_PORT = 7088
_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

NETNS_SETUP = (
    "ip link set lo up && ip link add kfj0 type veth peer name kfj1 && "
    f"ip addr add {MEDIA_ADDRESS}/24 dev kfj0 && ip link set kfj1 up && ip link set kfj0 up && "
    # Chromium gathers candidates only on the default route's interface (without camera
    # permission): a default route into the veth, which still leads nowhere outside
    "ip route add default dev kfj0"
)


def missing() -> str | None:
    """What this machine lacks for a Janus test, or None."""
    if os.geteuid() != 0:
        return "root (to make a private network namespace for Janus)"
    for tool in ("janus", "unshare", "nsenter", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} (apt-get install janus iproute2 util-linux)"
    return None


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@dataclass
class JanusServer:
    """Janus in its namespace; ``url``/``admin_url`` are valid inside it only."""

    holder: subprocess.Popen[bytes]
    proc: subprocess.Popen[bytes]
    folder: Path
    api_secret: str
    admin_secret: str

    url = f"http://127.0.0.1:{HTTP_PORT}/janus"
    admin_url = f"http://127.0.0.1:{ADMIN_PORT}/admin"

    @property
    def log(self) -> str:
        path = self.folder / "janus.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @contextlib.contextmanager
    def inside(self) -> Iterator[None]:
        """Switch this thread into Janus's namespace (sockets made now live there)."""
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        theirs = os.open(f"/proc/{self.holder.pid}/ns/net", os.O_RDONLY)
        try:
            _setns(theirs)
            try:
                yield
            finally:
                _setns(own)
        finally:
            os.close(own)
            os.close(theirs)

    def restart(self) -> None:
        """Stop Janus and start it again in the same namespace (it forgets every session)."""
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.proc = _launch(self.holder.pid, self.folder)
        _wait_http(self, time.monotonic() + 20)

    def stop(self) -> None:
        for p in (self.proc, self.holder):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


def _write_config(folder: Path, api_secret: str, admin_secret: str) -> None:
    values = {
        "@CONFIGS@": str(folder),
        "@API_SECRET@": api_secret,
        "@ADMIN_SECRET@": admin_secret,
        "@RTP_RANGE@": "20000-20999",
        "@HTTP_PORT@": str(HTTP_PORT),
        "@ADMIN_PORT@": str(ADMIN_PORT),
        "@ICE_INTERFACE@": "kfj0",
    }
    for template in sorted(CONFIG.glob("*.jcfg")):
        text = template.read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        (folder / template.name).write_text(text)


def _wait_namespace(pid: int, deadline: float) -> None:
    own = os.readlink("/proc/self/ns/net")
    while os.readlink(f"/proc/{pid}/ns/net") == own:
        if time.monotonic() > deadline:
            raise RuntimeError("unshare -n did not make a namespace")
        time.sleep(0.02)


def start_janus(folder: Path) -> JanusServer:
    """A fresh namespace with Janus in it, its HTTP API answering."""
    folder.mkdir(parents=True, exist_ok=True)
    api_secret, admin_secret = secrets.token_hex(16), secrets.token_hex(16)
    _write_config(folder, api_secret, admin_secret)
    deadline = time.monotonic() + 20
    holder = subprocess.Popen(["unshare", "-n", "sleep", "infinity"])
    _wait_namespace(holder.pid, deadline)
    subprocess.run(["nsenter", "-t", str(holder.pid), "-n", "sh", "-c", NETNS_SETUP], check=True)
    server = JanusServer(holder, _launch(holder.pid, folder), folder, api_secret, admin_secret)
    _wait_http(server, deadline)
    return server


def _launch(holder_pid: int, folder: Path) -> subprocess.Popen[bytes]:
    log = folder / "janus.log"
    cmd = ["nsenter", "-t", str(holder_pid), "-n", "janus", "-F", str(folder), "-N", "-o"]
    return subprocess.Popen(
        [*cmd, "-L", str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_http(server: JanusServer, deadline: float) -> None:
    with server.inside():
        while True:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", HTTP_PORT), 1),
            ):
                return
            if server.proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"Janus did not start:\n{server.log[-2000:]}")
            time.sleep(0.05)
