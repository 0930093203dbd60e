"""A stand-in for the call centre (``cloud.help.ref.CallDirectory``) so the in-call features
are tested without it: a test makes a call active, ends it, or hands it to another operator."""

from __future__ import annotations

import secrets
from dataclasses import replace

from cloud.help.ref import CallRef, CallState
from protocols.av import call_stream_ids


class StandInCalls:
    """``CallDirectory`` over a dict the test edits."""

    def __init__(self) -> None:
        self.calls: dict[str, CallRef] = {}

    async def get(self, call_id: str) -> CallRef | None:
        return self.calls.get(call_id)

    def active(self, device_id: str, site_path: str, operator: str) -> str:
        """A new call from ``device_id``, accepted by ``operator``: its id."""
        call_id = "hc-" + secrets.token_hex(12)
        kiosk_stream, op_stream = call_stream_ids(call_id)
        self.calls[call_id] = CallRef(
            call_id, "active", device_id, site_path, operator, kiosk_stream, op_stream
        )
        return call_id

    def set_state(self, call_id: str, state: CallState) -> None:
        self.calls[call_id] = replace(self.calls[call_id], state=state)
