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
    """A payload is too large, not JSON, or fails validation.

    ``parsed`` is the JSON object when the payload got as far as parsing: a receiver can read
    what it still needs from it (the agent rejects a refused ``job.run`` by its id) without
    parsing the bytes a second time.
    """

    def __init__(self, reason: str, message: str, parsed: dict[str, object] | None = None) -> None:
        super().__init__(reason, message)
        self.parsed = parsed
