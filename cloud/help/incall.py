"""The in-call features of remote help (issue 16) as one part: remote operation
(:mod:`cloud.help.cobrowse`) and material review (:mod:`cloud.help.materials`), both behind
the same :class:`~cloud.help.cobrowse_gate.CallGate`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cloud.help.cobrowse import Cobrowse
from cloud.help.cobrowse_gate import CallGate, NoCalls
from cloud.help.materials import MaterialReview, Pages
from cloud.help.ref import CallDirectory, CallRef

#: a call in one of these states is over: everything in-call about it is dropped
OVER = ("ended", "missed", "cancelled")


class CallCentre(Protocol):
    """What the in-call part needs of ``parts.help`` (:class:`cloud.help.parts.HelpDesk`)."""

    @property
    def directory(self) -> CallDirectory: ...

    def on_change(self, listener: Callable[[CallRef], None]) -> None: ...


class InCall:
    """``parts.cobrowse``: ``calls`` is the call centre's directory (:meth:`attach`; None in
    a cloud without a call centre: every call is then unknown)."""

    def __init__(self, pages: Pages | None, calls: CallDirectory | None = None) -> None:
        self.calls = calls
        self.cobrowse = Cobrowse()
        self.materials = MaterialReview(pages)
        self.gate = CallGate(self._directory)
        self.gate.on_over(self.forget)

    def _directory(self) -> CallDirectory:
        return self.calls if self.calls is not None else NoCalls()

    def forget(self, call_id: str) -> None:
        """The call is over: its screen, actions and material decisions are dropped."""
        self.cobrowse.forget(call_id)
        self.materials.forget(call_id)

    def attach(self, desk: CallCentre) -> None:
        """Use the call centre's directory and hear from it when a call ends
        (``parts.help``: the wiring calls this once)."""
        self.calls = desk.directory
        desk.on_change(self.call_changed)

    def call_changed(self, call: CallRef) -> None:
        """The call centre's ``on_change`` listener: a call over is forgotten at once (its
        long-polls wake and answer 409)."""
        if call.state in OVER:
            self.forget(call.call_id)
