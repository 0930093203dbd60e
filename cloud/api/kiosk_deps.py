"""Dependencies of the kiosk-service routes: the kiosk services' parts."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cloud.kiosk.parts import Kiosk


async def _kiosk(request: Request) -> Kiosk:
    kiosk: Kiosk = request.app.state.parts.kiosk
    return kiosk


KioskParts = Annotated[Kiosk, Depends(_kiosk)]
