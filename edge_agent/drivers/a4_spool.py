"""A stand-in A4 printer that writes each job's PDF into a directory.

For the demo and for dry runs of a site before its printers arrive: every job becomes
``<n>-<title>.pdf`` (written to a temporary name, fsynced, then renamed, so a reader never
sees half a document) plus ``<n>.json`` with the job's options. Operators can play the
printer's faults by creating files in the directory: ``.paper-out`` (offline, jobs refused
with ``paper_out``) and ``.cover-open`` (``cover_open``). A full disk fails the job before
anything is "printed".
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import shutil
from collections import Counter
from pathlib import Path

from edge_agent.drivers.a4_base import A4Document, A4PrinterBase, A4Report, OnStart
from edge_agent.drivers.a4_config import A4SpoolConfig
from edge_agent.drivers.base import DriverSpec
from edge_agent.errors import PrinterError
from protocols.jobs import FailureReason
from protocols.messages import Health

#: below this much free space the spool reports itself degraded
LOW_SPACE_BYTES = 50 * 1024 * 1024
FAULT_FILES = {
    ".paper-out": (FailureReason.PAPER_OUT, "paper_out"),
    ".cover-open": (FailureReason.COVER_OPEN, "cover_open"),
}
UNREACHABLE = FailureReason.PRINTER_UNREACHABLE
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)

_NUMBERED = re.compile(r"^(\d+)-")


class SpoolPrinter(A4PrinterBase):
    """Writes PDFs to ``cfg.directory`` as if printing them."""

    cfg: A4SpoolConfig

    def __init__(self, cfg: A4SpoolConfig) -> None:
        self.cfg = cfg
        self.tally: Counter[str] = Counter()

    @property
    def model(self) -> str:
        return self.cfg.model or "spool directory"

    def _state(self) -> tuple[Health, str, FailureReason]:
        """(health, reason, the failure a job gets while offline), from the directory."""
        directory = self.cfg.directory
        if not directory.is_dir():
            return Health.OFFLINE, f"spool directory {directory} does not exist", UNREACHABLE
        if not os.access(directory, os.W_OK):
            return Health.OFFLINE, f"spool directory {directory} is not writable", UNREACHABLE
        for name, (failure, why) in FAULT_FILES.items():
            if (directory / name).exists():
                return Health.OFFLINE, why, failure
        if shutil.disk_usage(directory).free < LOW_SPACE_BYTES:
            return Health.DEGRADED, "disk_low", UNREACHABLE
        return Health.OK, "", UNREACHABLE

    async def health(self) -> tuple[Health, str]:
        health, why, _ = self._state()
        return health, why

    async def close(self) -> None:
        """Nothing is held open between jobs."""

    async def print_pdf(self, doc: A4Document, on_start: OnStart) -> A4Report:
        health, why, failure = self._state()
        if health is Health.OFFLINE:
            raise PrinterError(
                failure,
                f"the spool printer {self.id} cannot take the job ({why}); nothing was printed",
                side_effect_possible=False,
            )
        await on_start()
        try:
            path = await asyncio.to_thread(self._write, doc)
        except OSError as err:
            full = err.errno in (errno.ENOSPC, errno.EDQUOT)
            raise PrinterError(
                FailureReason.PRINTER_ERROR,
                f"the spool printer {self.id} could not write the document "
                f"({'the disk is full' if full else err.strerror or err!r}); nothing was "
                "printed" + (" — free space in " + str(self.cfg.directory) if full else ""),
                side_effect_possible=False,  # the temporary file is removed; no PDF appeared
            ) from err
        self.tally["jobs_completed"] += 1
        self.tally["bytes_sent"] += len(doc.pdf)
        return A4Report(
            printer_job=str(path),
            document_bytes=len(doc.pdf),
            document_sha256=doc.sha256,
            impressions=None,
            extra={"copies": doc.copies, "sides": doc.sides},
        )

    def _write(self, doc: A4Document) -> Path:
        directory = self.cfg.directory
        numbers = (_NUMBERED.match(p.name) for p in directory.glob("*.pdf"))
        number = 1 + max((int(m.group(1)) for m in numbers if m), default=0)
        title = _UNSAFE.sub("_", doc.title)[:60] or "document"
        final = directory / f"{number:06d}-{title}.pdf"
        tmp = directory / f".{final.name}.part"
        try:
            with tmp.open("wb") as fh:
                fh.write(doc.pdf)
                fh.flush()
                os.fsync(fh.fileno())
            meta = {"title": doc.title, "copies": doc.copies, "sides": doc.sides}
            (directory / f"{number:06d}.json").write_text(json.dumps(meta, ensure_ascii=False))
            tmp.replace(final)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        return final


#: what the driver registry (``edge_agent.peripherals.registry``) reads of this module
DRIVER = DriverSpec(
    types=("a4_spool",), kind="a4_printer", config=A4SpoolConfig, peripheral=SpoolPrinter
)
