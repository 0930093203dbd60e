"""Errors raised while decoding or validating wire messages."""


class ProtocolError(Exception):
    """Root of every error raised by ``protocols``.

    ``reason`` is a short machine-readable code (used as a counter label);
    the message is a sentence for humans: what, why, what to do.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class TopicError(ProtocolError):
    """A topic is not part of the kfleet topic tree."""


class PayloadError(ProtocolError):
    """A payload is too large, not JSON, or fails validation."""
