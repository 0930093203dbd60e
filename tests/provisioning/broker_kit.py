"""Private Mosquitto brokers for the provisioning tests: TLS without client certificates (the
device authenticates with its password), and one that refuses every login; plus a server
certificate whose dates lie outside now (what a device with a wrong clock sees)."""

from __future__ import annotations

import datetime as dt
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from kfleet.world.net import free_port, wait_port
from provisioning import ca
from tests.conftest import mosquitto_binary


@contextmanager
def mosquitto(settings: str) -> Iterator[int]:
    """Mosquitto on 127.0.0.1 with ``settings`` added to its listener; yields its port."""
    binary = mosquitto_binary()
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="kf-mosq-prov-"))
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        f"user root\nlistener {port} 127.0.0.1\npersistence false\nlog_dest stderr\n{settings}"
    )
    proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        wait_port("127.0.0.1", port)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def tls_settings(server_dir: Path) -> str:
    """A TLS listener (server certificate only) letting anyone in."""
    return (
        f"allow_anonymous true\ncertfile {server_dir / 'server.crt'}\n"
        f"keyfile {server_dir / 'server.key'}\n"
    )


def pki(tmp: Path, sans: list[str]) -> tuple[Path, Path]:
    """A CA and a server certificate for ``sans``: (ca.crt, server dir)."""
    ca.init_ca(tmp / "ca", "Test hall CA")
    ca.issue_server(tmp / "ca", tmp / "server", sans)
    return tmp / "ca" / "ca.crt", tmp / "server"


def redate(ca_dir: Path, server_dir: Path, start: dt.datetime, end: dt.datetime) -> None:
    """Re-sign ``server.crt`` with the validity window [start, end] (same key and names)."""
    key, ca_cert = ca.load_ca(ca_dir)
    old = x509.load_pem_x509_certificate((server_dir / "server.crt").read_bytes())
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(ca_cert.subject)
        .public_key(old.public_key())  # type: ignore[arg-type]
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
    )
    for ext in old.extensions:
        builder = builder.add_extension(ext.value, ext.critical)
    cert = builder.sign(key, hashes.SHA256())
    (server_dir / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))


class PasswordBroker:
    """Mosquitto with a password file; :meth:`set_password` rewrites it and makes the broker
    reload it (SIGHUP), as a broker's access control changing a device's password."""

    def __init__(self, tmp: Path) -> None:
        self.pwfile = tmp / "passwords"
        self.pwfile.write_text("")
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def set_password(self, username: str, password: str) -> None:
        subprocess.run(
            ["mosquitto_passwd", "-b", str(self.pwfile), username, password],
            check=True,
            capture_output=True,
        )
        if self._proc is not None:
            self._proc.send_signal(signal.SIGHUP)

    @contextmanager
    def running(self) -> Iterator[PasswordBroker]:
        binary = mosquitto_binary()
        self.port = free_port()
        conf = self.pwfile.with_name("mosquitto.conf")
        conf.write_text(
            f"user root\nlistener {self.port} 127.0.0.1\npersistence false\n"
            f"allow_anonymous false\npassword_file {self.pwfile}\nlog_dest stderr\n"
        )
        self._proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        try:
            wait_port("127.0.0.1", self.port)
            yield self
        finally:
            self._proc.terminate()
            self._proc.wait(timeout=10)
            self._proc = None
