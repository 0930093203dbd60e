"""What the kiosk's e-form routes use besides ``kiosk.forms`` (built by ``forms_build``)."""

from __future__ import annotations

from dataclasses import dataclass

from cloud.kiosk.forms_handoff import HandoffService
from cloud.kiosk.forms_print import FormPrint


@dataclass(frozen=True)
class FormDesk:
    handoffs: HandoffService
    printer: FormPrint
    #: where the phone opens a hand-off link (``<phone_url>/f/<token>``)
    phone_url: str
