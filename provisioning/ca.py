"""The private CA that signs broker and device certificates (mutual TLS on the MQTT bus).

A CA is a directory holding ``ca.key`` (EC P-256, mode 0600) and ``ca.crt`` (self-signed,
CA:true pathlen 0, keyCertSign/cRLSign). Leaf certificates get their own new key each: a
server certificate names the broker's DNS names/IPs (serverAuth), a device certificate has the
device id as CN (clientAuth), so the broker can map a TLS identity to a device's topics.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from protocols.topics import DEVICE_ID_RE
from provisioning.ca_errors import BadInput, CaMissing
from provisioning.ca_store import (
    ensure_writable_dir,
    key_pem,
    read_ca_key,
    refuse_overwrite,
    write_pair,
)

CA_KEY = "ca.key"
CA_CRT = "ca.crt"
CA_DAYS = 3650
LEAF_DAYS = 730
#: one DNS label: letters, digits, hyphens inside; the whole name at most 253 characters, and
#: an all-digit last label is a mistyped IP address, not a name (RFC 1123)
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Issued:
    """Where a new certificate and its key were written."""

    cert: Path
    key: Path


@dataclass(frozen=True)
class Sans:
    """A server certificate's subject alternative names."""

    dns: tuple[str, ...]
    ips: tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, ...]


def parse_sans(values: list[str]) -> Sans:
    """Split ``values`` into IP addresses and DNS names, refusing anything that is neither."""
    if not values:
        raise BadInput("a server certificate needs at least one --san (the broker's DNS name/IP)")
    dns: list[str] = []
    ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for value in values:
        try:
            ips.append(ipaddress.ip_address(value))
            continue
        except ValueError:
            pass
        labels = value.rstrip(".").split(".")
        bad = not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit()
        if len(value) > 253 or bad:
            raise BadInput(
                f"--san {value!r} is neither an IP address nor a DNS name (letters, digits, "
                "hyphens, dot-separated); give the name or address clients connect to"
            )
        dns.append(value.rstrip(".").lower())
    return Sans(tuple(dns), tuple(ips))


def check_device_id(device_id: str) -> str:
    """The device id as the protocol defines it (``protocols.topics.DEVICE_ID_RE``)."""
    if not DEVICE_ID_RE.match(device_id):
        raise BadInput(
            f"device id {device_id!r} is not valid: it must be 1-64 characters of a-z, 0-9, "
            "'_', '.', '-', starting with a letter or digit (as on the bus's topics)"
        )
    return device_id


def _check_days(days: int) -> None:
    if not 1 <= days <= 36500:
        raise BadInput(f"--days {days} is out of range; give a number of days from 1 to 36500")


def _name(common_name: str) -> x509.Name:
    if not common_name.strip() or len(common_name) > 64:
        raise BadInput(f"common name {common_name!r} must be 1-64 characters")
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: x509.Name, issuer: x509.Name, days: int) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
    )


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def init_ca(
    directory: Path, common_name: str, *, days: int = CA_DAYS, force: bool = False
) -> Issued:
    """Create a new CA in ``directory``; an existing one is kept unless ``force``."""
    _check_days(days)
    subject = _name(common_name)
    key_path, crt_path = directory / CA_KEY, directory / CA_CRT
    refuse_overwrite([key_path, crt_path], force, f"a CA in {directory}")
    ensure_writable_dir(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key()
    cert = (
        _builder(subject, subject, days)
        .public_key(public)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )
    write_pair(key_path, key_pem(key), crt_path, cert.public_bytes(serialization.Encoding.PEM))
    return Issued(cert=crt_path, key=key_path)


def load_ca(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """The CA's key and certificate, with what to do when either is missing or unusable."""
    if not directory.is_dir():
        raise CaMissing(
            f"CA directory {directory} does not exist; run "
            f"`kfleet provision ca init --dir {directory}` or give the right --ca-dir"
        )
    key = read_ca_key(directory / CA_KEY)
    crt_path = directory / CA_CRT
    try:
        cert = x509.load_pem_x509_certificate(crt_path.read_bytes())
    except FileNotFoundError as err:
        raise CaMissing(f"no CA certificate at {crt_path}; restore it from the backup") from err
    except ValueError as err:
        raise CaMissing(f"{crt_path} is not a PEM certificate; restore it from the backup") from err
    if cert.public_key() != key.public_key():
        raise CaMissing(f"{crt_path} does not belong to {directory / CA_KEY}; restore the pair")
    return key, cert


def _issue(
    ca_dir: Path,
    out: tuple[Path, str],
    subject: x509.Name,
    extensions: list[x509.ExtensionType],
    days: int,
    force: bool,
) -> Issued:
    """Sign a leaf for a new key with the CA in ``ca_dir``; write ``<name>.crt``/``.key``."""
    _check_days(days)
    out_dir, name = out
    ca_key, ca_cert = load_ca(ca_dir)
    key_path, crt_path = out_dir / f"{name}.key", out_dir / f"{name}.crt"
    refuse_overwrite([key_path, crt_path], force, f"a certificate named {name!r}")
    ensure_writable_dir(out_dir)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        _builder(subject, ca_cert.subject, days)
        .public_key(key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(cert_sign=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    for ext in extensions:
        builder = builder.add_extension(ext, critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    write_pair(key_path, key_pem(key), crt_path, cert.public_bytes(serialization.Encoding.PEM))
    return Issued(cert=crt_path, key=key_path)


def issue_server(
    ca_dir: Path, out_dir: Path, sans: list[str], *, days: int = LEAF_DAYS, force: bool = False
) -> Issued:
    """A broker/server certificate for ``sans`` (DNS names and IPs), serverAuth only."""
    parsed = parse_sans(sans)
    general: list[x509.GeneralName] = [x509.DNSName(d) for d in parsed.dns]
    general += [x509.IPAddress(ip) for ip in parsed.ips]
    common_name = parsed.dns[0] if parsed.dns else str(parsed.ips[0])
    extensions: list[x509.ExtensionType] = [
        x509.SubjectAlternativeName(general),
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
    ]
    return _issue(ca_dir, (out_dir, "server"), _name(common_name), extensions, days, force)


def issue_device(
    ca_dir: Path, out_dir: Path, device_id: str, *, days: int = LEAF_DAYS, force: bool = False
) -> Issued:
    """A device (client) certificate whose CN is ``device_id``, clientAuth only."""
    check_device_id(device_id)
    extensions: list[x509.ExtensionType] = [
        x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
    ]
    return _issue(ca_dir, (out_dir, device_id), _name(device_id), extensions, days, force)
