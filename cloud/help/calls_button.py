"""The kiosk's hardware call button (a ``call_button`` peripheral on a kiosk): a press while
the kiosk has no call open makes a remote-help call with ``source: button``; a press during a
call does nothing (the kiosk's screen shows the call already). A window PC's button box is the
queue's (``cloud/hall/queue_buttons.py``), never a call."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.auth.principal import Principal, PrincipalKind
from cloud.db import devices as device_repo
from cloud.db.models import Device
from cloud.errors import CloudError
from cloud.events import PeripheralEventIn
from cloud.help.calls import HelpCalls, NewCall
from cloud.hub import ChangeHub
from fleet.peripherals import find
from protocols.messages import ButtonData, EventKind

log = logging.getLogger(__name__)


class HelpButtonSink:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], calls: HelpCalls, hub: ChangeHub
    ) -> None:
        self._sessions = sessions
        self._calls = calls
        self._hub = hub
        #: presses that reached the call centre (a press during a call answers that call)
        self.pressed = 0

    async def on_peripheral_event(self, event: PeripheralEventIn) -> None:
        body = event.body
        if body.kind is not EventKind.BUTTON or body.peripheral is None:
            return
        try:
            data = ButtonData.model_validate(body.data)
        except ValidationError:
            return  # ingest validated it already; a mismatch is not ours to act on
        kiosk = await self._kiosk(event.device_id, body.peripheral)
        if kiosk is None:
            return
        said = "ignored"
        if data.kind == "press":
            new = NewCall(f"button-{event.msg_id}"[:64], "zh-CN", "", "button")
            try:
                said = (await self._calls.create(kiosk, new)).row.call_id
                self.pressed += 1
            except CloudError as err:
                log.info("call button of %s made no call: %s", event.device_id, err)
        # each button event of a kiosk is heard of once handled (the tests wait on it)
        self._hub.publish(f"help:button:{event.device_id}", said)

    async def _kiosk(self, device_id: str, peripheral: str) -> Principal | None:
        """The kiosk as the call's caller, if the button is a kiosk's ``call_button``."""
        async with self._sessions() as s:
            device = await s.get(Device, device_id)
            if device is None or device.role != "kiosk":
                return None
            found = find(device_repo.peripherals(device), peripheral)
            if found is None or found.kind != "call_button":
                return None
            site = await device_repo.site_path(s, device.site_id)
        return Principal(PrincipalKind.DEVICE, device_id, None, None, device_site=site)
