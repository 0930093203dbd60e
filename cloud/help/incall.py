"""The in-call features of remote help (issue 16) as one part: remote operation
(:mod:`cloud.help.cobrowse`) and material review (:mod:`cloud.help.materials`), both behind
the same :class:`~cloud.help.cobrowse_gate.CallGate`."""

from __future__ import annotations

from typing import Any

from cloud.help.cobrowse import Cobrowse
from cloud.help.cobrowse_gate import CallGate, NoCalls
from cloud.help.materials import MaterialReview, Pages
from cloud.help.ref import CallDirectory


class InCall:
    """``parts.cobrowse``: the call centre's directory is ``calls`` (set by the wiring from
    ``parts.help.calls``, or by a test to a stand-in)."""

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

    def adopt(self, parts: Any) -> None:
        """Take the call centre's directory (``parts.help.calls``) when there is one."""
        if self.calls is None:
            help_part = getattr(parts, "help", None)
            if help_part is not None:
                self.calls = help_part.calls
