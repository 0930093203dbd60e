"""The agent's last check before a message enters the outbox: no raw ID number or name
leaves the device, whatever a driver, a job or an outside system put into an event or ack.

The ID-card driver already sends masked fields only (``docs/privacy.md``); this catches the
rest (a reason or result that quotes a citizen's data) with the same rules the cloud applies
(``protocols.privacy``). What was masked is logged as where and what, never the value.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel

from protocols.messages import AckBody, EventBody
from protocols.privacy import Finding, redact_ack, redact_event

log = logging.getLogger(__name__)


def masked(body: BaseModel) -> BaseModel:
    """``body`` with personal data masked; the same object if it had none."""
    findings: tuple[Finding, ...]
    if isinstance(body, EventBody):
        event = redact_event(body, note=False)
        safe: BaseModel = event.body
        findings, what = event.findings, f"{body.kind.value} event"
    elif isinstance(body, AckBody):
        ack = redact_ack(body)
        safe, findings, what = ack.body, ack.findings, f"ack of {body.job_id}"
    else:
        return body
    if findings:
        log.warning(
            "personal data masked in an outgoing %s (%s): the driver or job that wrote it must "
            "mask it itself; tell the agent's maintainers",
            what,
            "; ".join(map(str, findings)),
        )
    return safe
