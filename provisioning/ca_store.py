"""Files of the private CA: keys written 0600 from the first byte, nothing half-written.

Both files of a pair are written to temporaries and renamed only when both are complete, so a
full disk or a read-only directory leaves what was there before untouched.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from provisioning.ca_errors import AlreadyExists, CaKeyUnusable, CaMissing, DirNotWritable

KEY_MODE = 0o600


def ensure_writable_dir(directory: Path) -> None:
    """Create ``directory`` if needed; fail with what to do when it cannot be written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / f".kfleet-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise DirNotWritable(
            f"cannot write to {directory}: {err.strerror or err}; choose a writable directory "
            "or fix its permissions/mount (it must be writable by this user)"
        ) from err


def refuse_overwrite(paths: list[Path], force: bool, what: str) -> None:
    """Stop before anything is written if one of ``paths`` exists and ``--force`` is off."""
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise AlreadyExists(
            f"{what} already exists ({', '.join(existing)}); nothing was changed — "
            "use another directory/name, or --force to replace it"
        )


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write ``data`` to ``path`` created with ``mode`` (umask cannot widen it)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_pair(key_path: Path, key_pem: bytes, crt_path: Path, crt_pem: bytes) -> None:
    """Write a key (0600) and its certificate (0644) together, or neither."""
    tmp_key = key_path.with_name(f".{key_path.name}.tmp")
    tmp_crt = crt_path.with_name(f".{crt_path.name}.tmp")
    try:
        _write_private(tmp_key, key_pem, KEY_MODE)
        _write_private(tmp_crt, crt_pem, 0o644)
        os.replace(tmp_key, key_path)
        os.replace(tmp_crt, crt_path)
    except OSError as err:
        for tmp in (tmp_key, tmp_crt):
            with contextlib.suppress(OSError):
                tmp.unlink()
        raise DirNotWritable(
            f"cannot write {key_path.name}/{crt_path.name} in {key_path.parent}: "
            f"{err.strerror or err}; free space or fix the directory's permissions"
        ) from err


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: the file's 0600 mode is its protection."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def read_ca_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """Load the CA key, refusing one that group/others may read (like ssh does)."""
    if not path.exists():
        raise CaMissing(
            f"no CA key at {path}; run `kfleet provision ca init --dir {path.parent}` first"
        )
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        data = path.read_bytes()
    except OSError as err:
        raise CaKeyUnusable(
            f"cannot read the CA key {path}: {err.strerror or err}; run as its owner"
        ) from err
    if mode & 0o077:
        raise CaKeyUnusable(
            f"the CA key {path} has mode {mode:04o}, so others may read it; "
            f"run `chmod 600 {path}` and check who could have copied it"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise CaKeyUnusable(
            f"{path} is not an unencrypted PEM private key ({err}); restore it from the backup"
        ) from err
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise CaKeyUnusable(f"{path} is not an EC key; restore the CA's own ca.key")
    return key
