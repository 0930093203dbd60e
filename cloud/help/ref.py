"""What the in-call features (remote operation, material review) need to know of a call,
without depending on how the call centre stores calls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

#: a call's states (``fleet/help_calls.py`` owns the transitions)
CallState = Literal["waiting", "ringing", "active", "ended", "missed", "cancelled"]

#: a call id: ``hc-`` and 24 lowercase hex digits
CALL_ID_PATTERN = r"^hc-[0-9a-f]{24}$"


@dataclass(frozen=True, slots=True)
class CallRef:
    """One call as the in-call features see it."""

    call_id: str
    state: CallState
    device_id: str
    site_path: str
    #: the operator who accepted it, None while nobody has: the accepting caller's
    #: ``Principal.actor`` (``user:alice``), so "only the accepting operator" is
    #: ``ref.operator == caller.actor``
    operator: str | None
    #: the stream ids of the two sides (``protocols.av``)
    kiosk_stream_id: str
    operator_stream_id: str


class CallDirectory(Protocol):
    """Look a call up (the call centre implements it as ``parts.help.calls``)."""

    async def get(self, call_id: str) -> CallRef | None:
        """The call, or None if there is no such call."""
        ...
