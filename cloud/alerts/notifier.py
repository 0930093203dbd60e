"""The notifier used until a message service is wired in: it logs each notice (and keeps the
last few, for ``kfleet demo`` and tests), delivering nothing."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence

from cloud.notify.model import Notice

log = logging.getLogger(__name__)


class LoggingNotifier:
    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[tuple[Notice, tuple[str, ...]]] = deque(maxlen=keep)

    async def notify(self, notice: Notice, channels: Sequence[str]) -> None:
        self.sent.append((notice, tuple(channels)))
        log.info("alert notice %s %s: %s", notice.kind.value, notice.key, notice.summary)

    def channel_names(self) -> list[str]:
        return []
