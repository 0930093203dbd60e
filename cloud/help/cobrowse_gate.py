"""Who may touch a call's remote operation and material review, and when.

The operator side: only the operator who accepted the call, only while it is active, only
inside their site scope (a call elsewhere does not exist for them: 404). The kiosk side: only
the device the call came from, only while it is active. Everything in-call lives in memory
and is forgotten as soon as the call is seen to be over (nothing personal is kept).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from cloud.auth.principal import Principal
from cloud.errors import NotFound
from cloud.help.ref import CallDirectory, CallRef
from cloud.kiosk.errors import KioskError


class CallNotActive(KioskError):
    """The call is not (or no longer) active: nothing in-call may happen."""

    status_code = 409
    code = "call_not_active"

    def __init__(self, call: CallRef) -> None:
        super().__init__(
            f"call {call.call_id} is {call.state}, not active",
            "视频帮办已结束。",
            "The video help call has ended.",
        )


class NotYourCall(KioskError):
    status_code = 409
    code = "not_your_call"

    def __init__(self, call: CallRef) -> None:
        super().__init__(
            f"call {call.call_id} was accepted by another operator; only they may act in it",
            "该通话由其他工作人员接听。",
            "Another staff member answered this call.",
        )


class NoCalls:
    """A directory that knows no call (a cloud without the call centre)."""

    async def get(self, call_id: str) -> CallRef | None:
        return None


class Waiter:
    """Many long-polls wait for one thing to change: ``changed()`` wakes them all."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def changed(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        event = self._event
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), seconds)


class CallGate:
    """Looks the call up through the call centre's :class:`CallDirectory` and checks the
    caller. The call centre tells :class:`~cloud.help.incall.InCall` when a call ends; the
    gate also calls ``on_over`` listeners for a call it finds over (a kiosk's write that
    raced the end must not leave the call's screen behind)."""

    def __init__(self, directory: Callable[[], CallDirectory]) -> None:
        self._directory = directory
        self._on_over: list[Callable[[str], Any]] = []

    def on_over(self, listener: Callable[[str], Any]) -> None:
        self._on_over.append(listener)

    async def _call(self, call_id: str) -> CallRef:
        call = await self._directory().get(call_id)
        if call is None:
            raise NotFound(f"call {call_id} not found")
        if call.state in ("ended", "missed", "cancelled"):
            for listener in self._on_over:
                listener(call_id)
        return call

    async def operator(self, call_id: str, caller: Principal) -> CallRef:
        call = await self._call(call_id)
        if not caller.sees(call.site_path):
            raise NotFound(f"call {call_id} not found")
        if call.state != "active":
            raise CallNotActive(call)
        if call.operator != caller.actor:  # the call centre records the accepter's actor
            raise NotYourCall(call)
        return call

    async def device(self, call_id: str, caller: Principal) -> CallRef:
        call = await self._call(call_id)
        if call.device_id != caller.name:
            raise NotFound(f"call {call_id} not found")
        if call.state != "active":
            raise CallNotActive(call)
        return call
