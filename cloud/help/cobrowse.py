"""Remote operation of the kiosk's screen during a help call (docs/help-cobrowse.md).

The kiosk sends its current screen (a sanitised copy: :mod:`cloud.help.cobrowse_html`) each
time it changes; the operator long-polls it. The operator may ask for control; the citizen
answers on the kiosk (同意 → ``granted``, 拒绝 → ``declined``) and may take it back at any
time (``revoked``). Only while ``granted`` are the operator's actions (fill a field, press a
button) queued for the kiosk; after a take-back they are refused (409) and whatever was
queued and not yet fetched is dropped. The kiosk fetches one ordered stream of events:
the control changes and the actions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from cloud.help.cobrowse_gate import Waiter
from cloud.help.cobrowse_html import mask, sanitise
from cloud.kiosk.errors import KioskError

log = logging.getLogger(__name__)

#: in-call state kept for at most this many calls (ended ones are dropped when seen)
MAX_CALLS = 500

Control = Literal["none", "asked", "granted", "declined", "revoked"]
#: an operator's action: fill a field with a value, or press an element
ActionType = Literal["fill", "click"]
MAX_EVENTS = 500


class ControlNotGranted(KioskError):
    """The citizen has not given control (or took it back): the action is not applied."""

    status_code = 409
    code = "control_not_granted"

    def __init__(self, control: str) -> None:
        super().__init__(
            f"remote operation is {control}: the citizen has not given control",
            "市民尚未同意远程操作，或已收回控制。",
            "The citizen has not allowed remote operation, or took control back.",
        )


class BadControlChange(KioskError):
    status_code = 409
    code = "control_not_asked"

    def __init__(self, now: str, wanted: str) -> None:
        super().__init__(
            f"control cannot become {wanted} while it is {now}",
            "工作人员没有请求远程操作。",
            "The staff member has not asked for remote operation.",
        )


@dataclass
class Screen:
    seq: int = 0
    title: str = ""
    html: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)
    control: Control = "none"


@dataclass
class _Session:
    screen: Screen = field(default_factory=Screen)
    #: what the kiosk fetches, in order: {"id", "type": control|fill|click, ...}
    events: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1
    screen_changed: Waiter = field(default_factory=Waiter)
    events_changed: Waiter = field(default_factory=Waiter)
    granted_at: float | None = None


class Cobrowse:
    """The in-memory remote-operation state of every active call."""

    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}

    def _session(self, call_id: str) -> _Session:
        if call_id not in self._sessions and len(self._sessions) >= MAX_CALLS:
            self.forget(next(iter(self._sessions)))  # a call nobody looked at after it ended
        return self._sessions.setdefault(call_id, _Session())

    def has(self, call_id: str) -> bool:
        """Whether anything of the call is held (gone once the call ends)."""
        return call_id in self._sessions

    def forget(self, call_id: str) -> None:
        """The call is over: its screen and actions are dropped."""
        session = self._sessions.pop(call_id, None)
        if session is not None:
            session.screen_changed.changed()
            session.events_changed.changed()

    def _event(self, session: _Session, body: dict[str, Any]) -> None:
        session.events.append({"id": session.next_id, **body})
        session.next_id += 1
        del session.events[:-MAX_EVENTS]
        session.events_changed.changed()

    def _set_control(self, call_id: str, session: _Session, control: Control) -> None:
        session.screen.control = control
        session.screen.seq += 1
        session.granted_at = time.monotonic() if control == "granted" else None
        if control in ("revoked", "declined"):  # not yet fetched: never applied
            session.events = [e for e in session.events if e["type"] == "control"]
        self._event(session, {"type": "control", "state": control})
        session.screen_changed.changed()
        log.info("help call %s: remote operation %s", call_id, control)

    # --- the operator ---
    def ask(self, call_id: str) -> Screen:
        session = self._session(call_id)
        if session.screen.control != "granted":
            self._set_control(call_id, session, "asked")
        return session.screen

    async def screen(self, call_id: str, after_seq: int, wait_s: float) -> Screen:
        session = self._session(call_id)
        if session.screen.seq <= after_seq:
            await session.screen_changed.wait(wait_s)
        return self._sessions.get(call_id, session).screen

    def act(self, call_id: str, kind: ActionType, ref: str, value: str | None) -> int:
        session = self._session(call_id)
        if session.screen.control != "granted":
            raise ControlNotGranted(session.screen.control)
        self._event(session, {"type": kind, "ref": ref, "value": value})
        return session.next_id - 1

    # --- the kiosk ---
    def put_screen(
        self, call_id: str, title: str, markup: str, fields: list[dict[str, Any]]
    ) -> int:
        session = self._session(call_id)
        s = session.screen
        s.title, s.html = mask(title), sanitise(markup)
        s.fields = [{**f, "value": mask(str(f.get("value", "")))} for f in fields]
        s.seq += 1
        session.screen_changed.changed()
        return s.seq

    async def events(self, call_id: str, after: int, wait_s: float) -> dict[str, Any]:
        session = self._session(call_id)
        if not any(e["id"] > after for e in session.events):
            await session.events_changed.wait(wait_s)
        session = self._sessions.get(call_id, session)
        fresh = [e for e in session.events if e["id"] > after]
        return {"control": session.screen.control, "events": fresh}

    def answer(self, call_id: str, control: Control) -> Screen:
        """The citizen's answer on the kiosk: granted / declined (to an ask), revoked."""
        session = self._session(call_id)
        now = session.screen.control
        if control in ("granted", "declined") and now != "asked":
            raise BadControlChange(now, control)
        if control == "revoked" and now not in ("asked", "granted"):
            return session.screen  # taking back what was not given: nothing to do
        self._set_control(call_id, session, control)
        return session.screen
