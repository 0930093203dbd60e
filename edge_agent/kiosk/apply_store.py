"""The half-finished self-service application (自助申报) on the kiosk's disk, so an agent
restart (a crash, a power cut, an update) does not make the citizen scan everything again.

It lives in ``<data_dir>/kiosk/apply/`` — outside the session's temp dir, which every start
wipes — as ``draft.json`` and one JPEG per scanned page, the directory ``0700`` and every file
``0600`` (they hold the ID card's fields and scans of personal documents). It is kept only as
long as the idle timeout would have kept it on screen: a draft not touched for
``idle_warn_s + idle_clear_s`` is deleted when next looked at (and at start); the session's
clear (退出, the idle timeout, a new citizen) deletes it at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PAGE_ID = re.compile(r"^[0-9a-f]{16}$")


@dataclass
class Draft:
    """One citizen's application so far."""

    item: str
    #: the session's full card (``edge_agent.kiosk.idcard.session_card``): restored after restart
    card: dict[str, str]
    request_id: str = field(default_factory=lambda: "apply-" + secrets.token_hex(10))
    answers: dict[str, str] = field(default_factory=dict)
    #: material code → accepted page ids, in order
    pages: dict[str, list[str]] = field(default_factory=dict)
    #: a scanned page the citizen has not accepted or retaken yet: (material, page id)
    pending: tuple[str, str] | None = None
    #: the e-form as the cloud gave it (code, version, schema, layout) and what was typed
    form: dict[str, Any] | None = None
    form_data: dict[str, Any] = field(default_factory=dict)
    #: seconds since the epoch of the last change (the idle rule counts from it)
    touched: float = 0.0
    #: material code → the note of a help-call operator who asked for a rescan (issue 16):
    #: the next page accepted for it replaces the material's pages
    rescan: dict[str, str] = field(default_factory=dict)


class DraftStore:
    """``load()``, ``save(draft)``, page files, ``forget()``; ``keep_s`` is the idle rule."""

    def __init__(self, root: Path, keep_s: float, clock: Callable[[], float] = time.time) -> None:
        self.root = root
        self.keep_s = keep_s
        self._clock = clock

    @property
    def _file(self) -> Path:
        return self.root / "draft.json"

    def page_path(self, page_id: str) -> Path:
        if not PAGE_ID.match(page_id):
            raise ValueError("a page id is 16 hexadecimal characters")
        return self.root / f"{page_id}.jpg"

    def _dir(self) -> Path:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        return self.root

    def load(self) -> Draft | None:
        """The draft, or None (none, unreadable, or older than the idle rule: then deleted)."""
        try:
            raw = json.loads(self._file.read_text("utf-8"))
            draft = Draft(**{**raw, "pending": tuple(raw["pending"]) if raw["pending"] else None})
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError):
            log.warning("kiosk apply: the saved application is unreadable; deleted")
            self.forget()
            return None
        if self._clock() - draft.touched > self.keep_s:
            log.info("kiosk apply: the saved application expired (idle rule); deleted")
            self.forget()
            return None
        return draft

    def save(self, draft: Draft) -> None:
        draft.touched = self._clock()
        self._write(self._file, json.dumps(asdict(draft), ensure_ascii=False).encode())

    def touch(self) -> None:
        """The citizen is still at it (the screen asked for the draft)."""
        draft = self.load()
        if draft is not None:
            self.save(draft)

    def add_page(self, jpeg: bytes) -> str:
        page_id = secrets.token_hex(8)
        self._write(self.page_path(page_id), jpeg)
        return page_id

    def read_page(self, page_id: str) -> bytes | None:
        try:
            return self.page_path(page_id).read_bytes()
        except (OSError, ValueError):
            return None

    def drop_page(self, page_id: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.page_path(page_id).unlink()

    def forget(self) -> None:
        """Delete the draft and every page (the session's clear, an expiry, a submit)."""
        shutil.rmtree(self.root, ignore_errors=True)

    def _write(self, path: Path, data: bytes) -> None:
        self._dir()
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
