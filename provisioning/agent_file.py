"""The agent's config file as enrollment writes it: checked writable first, merged with what
the technician already put there, written atomically, mode 0600 (it holds the secret).

Atomic means: a temporary file in the same directory, fsync, rename over the old one, fsync
of the directory — a power cut leaves the old file or the new one, never half of either. The
previous file is kept as ``<name>.bak`` (0600 too: it may hold the previous secret).
Everything but the device's identity (peripherals, screen, outbox...) is kept from the old
file; comments are not (the ``.bak`` keeps them).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import tomli_w

from edge_agent.config import AgentConfig, parse_config
from edge_agent.errors import ConfigError
from provisioning.enroll_errors import BadInput, ConfigNotWritable, NotEnrolled

FIXES = {
    errno.EROFS: "the disk is mounted read-only: remount it read-write "
    "(`mount -o remount,rw /`) or give --config on a writable disk",
    errno.EACCES: "permission denied: run the command as the agent's user or root (sudo), "
    "or give --config a path you may write",
    errno.EPERM: "permission denied: run the command as the agent's user or root (sudo), "
    "or give --config a path you may write",
    errno.ENOSPC: "the disk is full: free some space",
    errno.ENOTDIR: "a part of the path is a file, not a directory: fix the path",
}


def not_writable(path: Path, err: OSError) -> ConfigNotWritable:
    fix = FIXES.get(err.errno or 0, "give --config a path on a writable disk")
    return ConfigNotWritable(
        f"cannot write the agent's config {path} ({err.strerror or err}); {fix}"
    )


def check_writable(path: Path) -> None:
    """Create the directory if needed and prove a file can be made there (then removed)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
        os.close(fd)
        os.unlink(probe)
        if path.exists() and not os.access(path, os.R_OK):
            raise PermissionError(errno.EACCES, "the existing file cannot be read")
    except OSError as err:
        raise not_writable(path, err) from err


def read_raw(path: Path) -> dict[str, Any]:
    """The existing file's keys (empty if there is none)."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise BadInput(
            f"the existing agent config {path} cannot be read ({err}); fix it or move it "
            "away, then run the command again (nothing was sent)"
        ) from err


def merged(existing: dict[str, Any], identity: dict[str, Any]) -> dict[str, Any]:
    """``existing`` with the enrolled identity: top-level keys, and ``mqtt``/``cloud`` merged
    key by key (``keepalive_s`` and the like survive)."""
    out = {**existing, **{k: v for k, v in identity.items() if k not in ("mqtt", "cloud")}}
    for section in ("mqtt", "cloud"):
        if section in identity:
            out[section] = {**existing.get(section, {}), **identity[section]}
            out[section] = {k: v for k, v in out[section].items() if v is not None}
    return out


def validated(raw: dict[str, Any], path: Path) -> AgentConfig:
    """What the agent would make of ``raw``: an invalid file is never written."""
    try:
        return parse_config(raw, source=str(path), base_dir=path.parent)
    except ConfigError as err:
        raise BadInput(
            f"the agent's config would not be valid: {err}; fix or move away {path} "
            "(nothing was sent)"
        ) from err


def write_atomic(path: Path, raw: dict[str, Any]) -> Path | None:
    """Write ``raw`` as TOML to ``path`` (0600), the old file kept as ``.bak``; the backup's
    path, if there was an old file."""
    text = "# written by kfleet provision; holds the device's secret: keep it 0600\n"
    text += tomli_w.dumps(raw)
    backup = path.with_name(path.name + ".bak") if path.exists() else None
    tmp: str | None = None
    try:
        if backup is not None:
            shutil.copyfile(path, backup)
            os.chmod(backup, 0o600)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(path.parent)
    except OSError as err:
        raise not_writable(path, err) from err
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return backup


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def load_enrolled(path: Path) -> AgentConfig:
    """The config of an enrolled device (``status``/``rotate``), or :class:`NotEnrolled`."""
    if not path.exists():
        raise NotEnrolled(
            f"{path} does not exist: this device is not enrolled (or give --config); enroll "
            "it with `kfleet provision enroll --token ... --cloud ...`"
        )
    config = validated(read_raw(path), path)
    if not (config.mqtt.username and config.mqtt.password and config.cloud):
        raise NotEnrolled(
            f"{path} has no device credentials or cloud address (mqtt.username/password, "
            "[cloud] url): this device is not enrolled; run `kfleet provision enroll`"
        )
    return config
