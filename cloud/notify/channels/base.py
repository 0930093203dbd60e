"""The one interface every channel implements, and how a channel says what went wrong.

A channel sends one notice once; retrying is the service's job. It raises
:class:`TemporaryFailure` (the receiver is down, slow, rate limiting, 5xx: try again later,
not before ``retry_after_s`` if the receiver said so) or :class:`PermanentFailure` (the
request itself is wrong — a refused template, a bad key, a 4xx: retrying cannot help).
"""

from __future__ import annotations

from typing import Any, Protocol


class DeliveryFailure(Exception):
    """A send that did not succeed; the message is stored as the row's ``last_error``."""


class TemporaryFailure(DeliveryFailure):
    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class PermanentFailure(DeliveryFailure):
    """Retrying the same request cannot succeed; the delivery goes dead at once."""


class Channel(Protocol):
    """One configured way to reach people. ``payload`` is the notice as JSON
    (:func:`cloud.notify.payload.to_json`)."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    async def send(self, payload: dict[str, Any]) -> None: ...


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds only; a date is ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


def http_failure(status: int, what: str, retry_after_header: str | None, text: str) -> Exception:
    """The failure a non-2xx HTTP answer means: 408/425/429/5xx temporary, other 4xx permanent."""
    message = f"{what} answered HTTP {status}: {text[:200]}"
    if status in (408, 425, 429) or status >= 500:
        return TemporaryFailure(message, retry_after(retry_after_header))
    return PermanentFailure(message)
