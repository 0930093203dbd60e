"""Turning a failed certificate check into the cause a technician can fix.

``ssl.SSLCertVerificationError`` says "hostname mismatch" or "certificate has expired" but not
which names the certificate does carry, nor its dates. Here a second handshake that checks
nothing fetches the certificate only to describe it (never to trust it), so the message names
the address dialled and the names in the certificate, or the local time against the
certificate's validity window (a wrong clock is the usual cause on a new device).
"""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime

from cryptography import x509

from provisioning.clock import FIX_CLOCK, iso, local_ms
from provisioning.enroll_errors import ClockWrong, ProvisionError, TlsNameMismatch, TlsUntrusted

#: OpenSSL verify codes
NOT_YET_VALID, EXPIRED = 9, 10
HOSTNAME_MISMATCH, IP_MISMATCH = 62, 64


def find_verify_error(err: BaseException | None) -> ssl.SSLCertVerificationError | None:
    """The certificate error inside ``err``'s cause/context chain (httpx wraps it), if any."""
    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, ssl.SSLCertVerificationError):
            return err
        seen.add(id(err))
        err = err.__cause__ or err.__context__
    return None


def peer_certificate(host: str, port: int, timeout: float = 10.0) -> x509.Certificate | None:
    """The server's certificate, fetched without checking it (for describing only)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as sock,
            ctx.wrap_socket(sock, server_hostname=host) as tls,
        ):
            der = tls.getpeercert(binary_form=True)
    except OSError:
        return None
    return x509.load_der_x509_certificate(der) if der else None


def cert_names(cert: x509.Certificate | None) -> list[str]:
    """DNS names and IP addresses the certificate is valid for (CN if it has no SAN)."""
    if cert is None:
        return []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return [str(a.value) for a in cns]
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return [*dns, *ips]


def _ms(when: datetime) -> int:
    return int(when.replace(tzinfo=when.tzinfo or UTC).timestamp() * 1000)


def diagnose(err: ssl.SSLCertVerificationError, host: str, port: int, what: str) -> ProvisionError:
    """The provisioning error for a failed certificate check of ``what`` at ``host:port``."""
    code = err.verify_code
    if code in (HOSTNAME_MISMATCH, IP_MISMATCH):
        names = cert_names(peer_certificate(host, port)) or ["(could not read them)"]
        return TlsNameMismatch(
            f"the {what}'s TLS certificate is not valid for the name dialled, {host!r}: it "
            f"names {', '.join(names)}; dial one of those names (fix the URL, or the hosts "
            "file/DNS), or have the operator issue a certificate that also names "
            f"{host} (`kfleet provision ca issue server --san {host}`)"
        )
    if code in (NOT_YET_VALID, EXPIRED):
        cert = peer_certificate(host, port)
        window = (
            f"it is valid from {iso(_ms(cert.not_valid_before_utc))} to "
            f"{iso(_ms(cert.not_valid_after_utc))}"
            if cert is not None
            else "its dates could not be read"
        )
        state = "not yet valid" if code == NOT_YET_VALID else "expired"
        return ClockWrong(
            f"the {what}'s TLS certificate is {state} by this device's clock, which says "
            f"{iso(local_ms())}; {window}. If the clock is wrong: {FIX_CLOCK}. If the clock is "
            "right, the operator must renew the certificate"
        )
    return TlsUntrusted(
        f"the {what}'s TLS certificate at {host}:{port} is not trusted "
        f"({err.verify_message}); give the fleet's CA certificate with --ca-file ca.crt (from "
        "the operator), or check that you dial the right server"
    )
