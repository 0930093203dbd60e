"""What the kiosk holds about the citizen in front of it, and the one place that forgets it.

Personal data (the ID card read, a phone number, a one-time code's ticket, query results,
scanned pages, form data) is kept here in memory, or in files under :attr:`temp_dir`, never
in the agent's log or state database. :meth:`clear` — the idle timeout, the 退出 button, a new
citizen — drops all of it and deletes the files; each feature registers what else it must
forget with :meth:`on_clear`.
"""

from __future__ import annotations

import logging
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class KioskSession:
    """One citizen's session at this kiosk (there is one screen, so one session at a time)."""

    def __init__(self, temp_root: Path) -> None:
        self._temp_root = temp_root
        # files a previous run left (a crash, a power cut mid-session) are nobody's now
        shutil.rmtree(temp_root, ignore_errors=True)
        self._values: dict[str, Any] = {}
        self._on_clear: list[Callable[[], None]] = []
        self.id = secrets.token_hex(8)
        self.cleared = 0
        """How many times the session was cleared (the idle test reads it)."""

    @property
    def temp_dir(self) -> Path:
        """This session's own directory for files (scans, PDFs); made on first use."""
        path = self._temp_root / self.id
        path.mkdir(parents=True, exist_ok=True)
        return path

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)

    def put(self, key: str, value: Any) -> None:
        self._values[key] = value

    def pop(self, key: str, default: Any = None) -> Any:
        return self._values.pop(key, default)

    def on_clear(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` at every clear (a feature's own caches of personal data)."""
        self._on_clear.append(callback)

    def clear(self) -> None:
        """Forget everything personal and start a new session id."""
        self._values.clear()
        for callback in self._on_clear:
            try:
                callback()
            except Exception:  # one feature's failure must not keep the others' data
                log.exception("kiosk: a feature failed to clear its session data")
        shutil.rmtree(self._temp_root, ignore_errors=True)
        self.id = secrets.token_hex(8)
        self.cleared += 1
