"""The CA's certificates are what mutual TLS needs: a chain to the CA, the right key usages
and EKUs, the SANs asked for, keys only the owner can read, and a serial of their own."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID

from provisioning import ca
from provisioning.ca_errors import AlreadyExists


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ca_dir(tmp_path: Path) -> Path:
    ca.init_ca(tmp_path / "ca", "Test Hall CA")
    return tmp_path / "ca"


def test_ca_is_a_constrained_self_signed_ca(ca_dir: Path) -> None:
    cert = _load(ca_dir / "ca.crt")
    assert _mode(ca_dir / "ca.key") == 0o600
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert cert.subject.rfc4514_string() == "CN=Test Hall CA"
    cert.verify_directly_issued_by(cert)
    years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365
    assert 9.9 < years < 10.1


def test_server_cert_verifies_for_its_names_only(ca_dir: Path, tmp_path: Path) -> None:
    made = ca.issue_server(ca_dir, tmp_path / "out", ["broker.hall.local", "127.0.0.1"])
    assert _mode(made.key) == 0o600
    store = verification.Store([_load(ca_dir / "ca.crt")])
    leaf = _load(made.cert)
    for name in (
        x509.DNSName("broker.hall.local"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ):
        verifier = verification.PolicyBuilder().store(store).build_server_verifier(name)
        chain = verifier.verify(leaf, [])
        assert chain[-1].subject == _load(ca_dir / "ca.crt").subject
    wrong = (
        verification.PolicyBuilder()
        .store(store)
        .build_server_verifier(x509.DNSName("other.hall.local"))
    )
    with pytest.raises(verification.VerificationError):
        wrong.verify(leaf, [])
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]


def test_device_cert_is_a_client_cert_named_by_its_id(ca_dir: Path, tmp_path: Path) -> None:
    made = ca.issue_device(ca_dir, tmp_path, "kiosk-01.hall3", days=365)
    leaf = _load(made.cert)
    assert made.cert.name == "kiosk-01.hall3.crt" and _mode(made.key) == 0o600
    assert leaf.subject.rfc4514_string() == "CN=kiosk-01.hall3"
    leaf.verify_directly_issued_by(_load(ca_dir / "ca.crt"))  # raises if not signed by the CA
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    lifetime = leaf.not_valid_after_utc - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=364) < lifetime <= dt.timedelta(days=365)


def test_each_certificate_has_its_own_key_and_serial(ca_dir: Path, tmp_path: Path) -> None:
    certs = [_load(ca.issue_device(ca_dir, tmp_path, f"dev-{i}").cert) for i in range(5)]
    assert len({c.serial_number for c in certs}) == 5
    keys = {
        c.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) for c in certs
    }
    assert len(keys) == 5


def test_existing_ca_is_kept_without_force(ca_dir: Path) -> None:
    before = (ca_dir / "ca.key").read_bytes()
    with pytest.raises(AlreadyExists):
        ca.init_ca(ca_dir, "Another CA")
    assert (ca_dir / "ca.key").read_bytes() == before
    ca.init_ca(ca_dir, "Another CA", force=True)
    assert (ca_dir / "ca.key").read_bytes() != before
