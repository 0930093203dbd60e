"""Cancelling a job: at once when no device can hold it, else only on the device's word.

A job the device may already hold (``dispatched``, ``accepted``) is not canceled by the cloud
alone: the device may be printing. The cloud records the request and sends ``job.cancel``;
the device answers ``canceled`` if it had not started the side effect, otherwise with its
latest ack, and the job takes that outcome (see :func:`fleet.acks.decide_ack`).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fleet.jobs import is_terminal
from protocols.jobs import JobState


class CancelAction(StrEnum):
    #: nothing can run it any more (never sent, or waiting for an operator): canceled now
    NOW = "now"
    #: the device may hold it: record the request, send ``job.cancel``, wait for its answer
    ASK_DEVICE = "ask_device"
    #: too late (running) or nothing to cancel (finished)
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class CancelDecision:
    action: CancelAction
    why: str = ""


def decide_cancel(job_id: str, state: JobState, device_id: str | None) -> CancelDecision:
    """What ``POST /jobs/{id}/cancel`` does to a job in ``state`` assigned to ``device_id``."""
    if state is JobState.RUNNING:
        return CancelDecision(
            CancelAction.REFUSE,
            f"job {job_id} is running on {device_id}: its side effect has started, so it "
            "cannot be canceled; wait for it to finish",
        )
    if is_terminal(state):
        return CancelDecision(
            CancelAction.REFUSE,
            f"job {job_id} is already {state.value}; there is nothing to cancel",
        )
    if state in (JobState.DISPATCHED, JobState.ACCEPTED) and device_id is not None:
        return CancelDecision(CancelAction.ASK_DEVICE)
    return CancelDecision(CancelAction.NOW)  # queued (never sent) or uncertain (device done)
