"""Errors of the ID-card reader driver, one root (:class:`IdCardError`).

``reason`` is a short code (a counter label and the health reason); the message is one
sentence: what happened, why it probably happened, what to do. Neither ever contains
personal data from a card.
"""

from __future__ import annotations

from edge_agent.errors import AgentError


class IdCardError(AgentError):
    """Root of every error the ID-card reader driver raises on purpose."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class IdCardUnplugged(IdCardError):
    """The port cannot be opened (``port_unavailable``) or failed with an I/O error
    (``unplugged``); the driver reopens it on the next call."""


class IdCardTimeout(IdCardError):
    """No complete reply in time: ``no_reply`` (silence) or ``truncated`` (half a frame)."""


class IdCardGarbled(IdCardError):
    """A reply that is not a good frame (``bad_checksum``, ``bad_length``, ``garbage``) or
    whose card data cannot be decoded (``bad_card_data``)."""


class IdCardRefused(IdCardError):
    """The reader answered with an error status word (``sam_fault``, ``read_failed``, ...);
    ``status`` is its SW3."""

    def __init__(self, reason: str, message: str, status: int) -> None:
        super().__init__(reason, message)
        self.status = status
