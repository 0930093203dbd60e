"""Running the real IPP Everywhere printer from CUPS (``ippeveprinter``) for tests and demos.

This is not a simulation: it is CUPS's own reference printer, so our IPP driver is tested
against real IPP. ippeveprinter insists on DNS-SD, which needs a D-Bus system bus and Avahi.
So that nothing leaves the machine and nothing of the host's own D-Bus/Avahi is touched, it
runs in a private mount namespace (``unshare -m``, root only) with its own ``/run/dbus`` and
``/run/avahi-daemon`` on tmpfs and an Avahi restricted to ``lo`` that publishes nothing. The
printer keeps every job's document in ``spool/`` (``-k``), which is how tests check that a
document arrived. ``print_command`` is what ippeveprinter "prints" with (``/usr/bin/true``:
done at once; a ``sleep`` script: a slow printer to pull the plug on).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

BINARIES = ("ippeveprinter", "unshare", "dbus-daemon", "avahi-daemon")
AVAHI_CONF = """[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=lo
enable-dbus=yes
[publish]
publish-addresses=no
publish-hinfo=no
publish-workstation=no
publish-domain=no
"""
#: dbus → avahi → ippeveprinter in one private mount namespace; all stopped on TERM
SCRIPT = r"""
set -eu
mount -t tmpfs tmpfs /run/dbus
mount -t tmpfs tmpfs /run/avahi-daemon
dbus-daemon --system --nofork --nopidfile & DBUS=$!
trap 'kill $IPP $AVAHI $DBUS 2>/dev/null; wait' TERM INT EXIT
for _ in $(seq 100); do [ -S /run/dbus/system_bus_socket ] && break; sleep 0.05; done
avahi-daemon -f "$WORK/avahi.conf" --no-chroot --no-rlimits --no-drop-root & AVAHI=$!
for _ in $(seq 100); do [ -f /run/avahi-daemon/pid ] && break; sleep 0.05; done
ippeveprinter -p "$PORT" -n localhost -d "$SPOOL" -k -r off -c "$PRINT_COMMAND" \
  -f application/pdf,image/jpeg,image/pwg-raster -M kfleet -m "Test A4" "$NAME" & IPP=$!
wait $IPP
"""


class IppUnavailable(RuntimeError):
    """ippeveprinter cannot be run here; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class IppServer:
    uri: str
    port: int
    #: ippeveprinter's spool: ``<job id>-<job name>.pdf`` for every job it took
    spool: Path
    process: subprocess.Popen[bytes]

    def documents(self) -> list[Path]:
        """The documents received so far, oldest first."""
        return sorted(self.spool.rglob("*.pdf"), key=lambda p: p.stat().st_mtime_ns)


def missing() -> str | None:
    """Why ippeveprinter cannot run here, or None if it can."""
    absent = [
        b for b in BINARIES if shutil.which(b) is None and not Path(f"/usr/sbin/{b}").exists()
    ]
    if absent:
        return (
            f"{', '.join(absent)} not installed "
            "(apt-get install cups-ipp-utils avahi-daemon dbus util-linux)"
        )
    if os.geteuid() != 0:
        return "ippeveprinter runs in a private mount namespace, which needs root"
    return None


@contextmanager
def running_ippeveprinter(
    *, print_command: str = "/usr/bin/true", name: str = "kfleet-a4", port: int | None = None
) -> Iterator[IppServer]:
    """Start ippeveprinter on a free loopback port; stop it (and its D-Bus/Avahi) on exit."""
    why = missing()
    if why is not None:
        raise IppUnavailable(why)
    work = Path(tempfile.mkdtemp(prefix="kf-ipp-"))
    spool = work / "spool"
    spool.mkdir()
    (work / "avahi.conf").write_text(AVAHI_CONF)
    for run_dir in ("/run/dbus", "/run/avahi-daemon"):  # mount points must exist on the host
        Path(run_dir).mkdir(parents=True, exist_ok=True)
    port = port or _free_port()
    env = {
        **os.environ,
        "PATH": os.environ.get("PATH", "") + ":/usr/sbin:/sbin",
        "WORK": str(work),
        "SPOOL": str(spool),
        "PORT": str(port),
        "NAME": name,
        "PRINT_COMMAND": print_command,
    }
    log = (work / "ippeveprinter.log").open("wb")
    proc = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "bash", "-c", SCRIPT],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        try:
            _wait_listening(port, proc, timeout_s=15)
        except OSError as err:
            proc.terminate()
            proc.wait(timeout=10)
            text = (work / "ippeveprinter.log").read_text(errors="replace")[-2000:]
            raise IppUnavailable(f"ippeveprinter did not start on port {port}: {text}") from err
        yield IppServer(f"ipp://127.0.0.1:{port}/ipp/print", port, spool, proc)
    finally:
        stop(proc)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def _free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: subprocess.Popen[bytes], *, timeout_s: float) -> None:
    """Return once ippeveprinter accepts connections; OSError if it died or took too long."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # another process opens the port: there is no event to await


def stop(proc: subprocess.Popen[bytes], *, hard: bool = False) -> None:
    """Stop the namespace's processes: TERM (orderly) or KILL (a printer that vanishes)."""
    if proc.poll() is not None:
        return
    sig = signal.SIGKILL if hard else signal.SIGTERM
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
