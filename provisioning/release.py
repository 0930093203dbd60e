"""``kfleet release build``: an agent release artifact from the installed tree (issue 17).

A release is a ``.tar.gz`` with ``kfleet-release.json`` at its top (``protocols.upgrade``),
the agent's packages (``edge_agent`` and ``protocols``, sources and static assets, no
``__pycache__``) and ``bin/kfleet-agent.py``, the entry the launcher runs with the device's
own Python. Third-party libraries are the device's: a release that needs a new one cannot be
rolled out this way (``docs/agent-upgrade.md``). Members are sorted, with a fixed owner, mode
and time, so two builds of one tree differ only in the manifest's ``created_at``.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

import edge_agent
from protocols import PROTOCOL_VERSION
from protocols.upgrade import MAX_ARTIFACT_BYTES, RELEASE_MANIFEST, ReleaseManifest

PACKAGES = ("edge_agent", "protocols")
ENTRY = "bin/kfleet-agent.py"
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = (".pyc", ".pyo")
FIXED_MTIME = 1_700_000_000  # members' time: the same tree gives the same bytes

ENTRY_SCRIPT = '''"""kfleet agent release {version}: the release's agent, device's Python."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("KFLEET_AGENT_VERSION", "{version}")

from edge_agent.cli import app  # noqa: E402  (after the release's own path)

app(prog_name="kfleet-agent")
'''

app = typer.Typer(help="Agent releases for staged upgrades.", no_args_is_help=True)


def source_root() -> Path:
    """The directory holding the installed ``edge_agent`` package."""
    return Path(edge_agent.__file__).resolve().parent.parent


def _files(root: Path) -> list[tuple[str, Path]]:
    """(name in the archive, file) for every file of the agent's packages, sorted."""
    found: list[tuple[str, Path]] = []
    for package in PACKAGES:
        for here, dirs, files in os.walk(root / package):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in files:
                if not name.endswith(SKIPPED_SUFFIXES):
                    path = Path(here) / name
                    found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def _member(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, FIXED_MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    tar.addfile(info, io.BytesIO(data))


def build_release(
    version: str, out: Path, *, notes: str = "", root: Path | None = None
) -> ReleaseManifest:
    """Write the release ``version`` to ``out``; its manifest."""
    manifest = ReleaseManifest(
        version=version,
        protocol=PROTOCOL_VERSION,
        entry=[ENTRY, "run"],
        created_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        notes=notes,
    )
    root = root or source_root()
    tmp = out.with_name(f".{out.name}.tmp")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        _member(tar, RELEASE_MANIFEST, manifest.model_dump_json(indent=2).encode())
        _member(tar, ENTRY, ENTRY_SCRIPT.format(version=version).encode(), 0o755)
        for name, path in _files(root):
            _member(tar, name, path.read_bytes())
    if tmp.stat().st_size > MAX_ARTIFACT_BYTES:
        tmp.unlink()
        raise ValueError(f"the release is larger than {MAX_ARTIFACT_BYTES} bytes")
    tmp.replace(out)
    return manifest


@app.command("build")
def build(
    version: Annotated[str, typer.Option("--version", help="The release's version (0.2.0).")],
    out: Annotated[Path, typer.Option("--out", help="Where to write the .tar.gz.")],
    notes: Annotated[str, typer.Option("--notes", help="What changed, for operators.")] = "",
) -> None:
    """Build an agent release (.tar.gz) from the installed agent, for POST /agent-releases."""
    try:
        manifest = build_release(version, out, notes=notes)
    except (ValueError, OSError) as err:  # a bad version (pydantic) or an unwritable path
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(2) from err
    typer.echo(f"{out}: agent release {manifest.version} ({out.stat().st_size} bytes)")
