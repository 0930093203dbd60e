"""Back-pressure at the job API: refuse (429 + Retry-After) what the cloud cannot take now,
instead of letting an unbounded line form in front of the database.

Two signs that the cloud is beyond what it can do: too many job submissions already being
handled (each waits for the database: one more only lengthens the line for everyone), and a
backlog of device messages not yet handled (the outcomes of jobs already sent are late; new
jobs would only make them later). Long-polls are bounded too: each holds a subscription and a
connection. The count is per process; several workers each keep their own.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

from cloud.errors import CloudError
from cloud.settings_job_intake import JobIntakeSettings

log = logging.getLogger(__name__)

#: a burst of refusals is logged once per this many seconds (with how many there were)
LOG_EVERY_S = 10.0


class TooBusy(CloudError):
    """The cloud refuses this request for now (HTTP 429); ``headers`` carry Retry-After."""

    status_code = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.code = "too_busy"
        self.headers = {"Retry-After": str(retry_after_s)}


@dataclass(slots=True)
class Limits:
    max_in_flight: int
    max_backlog: int
    retry_after_s: int
    max_waiters: int

    @classmethod
    def of(cls, settings: JobIntakeSettings) -> Limits:
        return cls(
            settings.job_intake_max_in_flight,
            settings.job_intake_max_backlog,
            settings.job_intake_retry_after_s,
            settings.job_wait_max_waiters,
        )


class JobIntake:
    """Counts job submissions and long-polls in progress; refuses beyond the limits."""

    def __init__(self, limits: Limits, backlog: Callable[[], int]) -> None:
        self.limits = limits
        self._backlog = backlog
        self.in_flight = 0
        self.waiters = 0
        #: requests refused since start (``too_busy``), for the operator's figures
        self.refused = 0
        self._logged_at = -LOG_EVERY_S
        self._logged_refused = 0

    @classmethod
    def of(cls, settings: JobIntakeSettings, backlog: Callable[[], int]) -> JobIntake:
        return cls(Limits.of(settings), backlog)

    @contextmanager
    def submission(self) -> Iterator[None]:
        """Admit one job submission for the duration of the block, or raise :class:`TooBusy`."""
        limits = self.limits
        if self.in_flight >= limits.max_in_flight:
            self._refuse(
                f"the cloud is already handling {self.in_flight} job submissions (the limit, "
                "KFLEET_JOB_INTAKE_MAX_IN_FLIGHT)"
            )
        backlog = self._backlog()
        if backlog > limits.max_backlog:
            self._refuse(
                f"the cloud has {backlog} device messages (acks, events, telemetry) not yet "
                f"handled, more than its limit of {limits.max_backlog} "
                "(KFLEET_JOB_INTAKE_MAX_BACKLOG)"
            )
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    @contextmanager
    def wait(self) -> Iterator[None]:
        """Admit one long-poll for the duration of the block, or raise :class:`TooBusy`."""
        if self.waiters >= self.limits.max_waiters:
            self._refuse(
                f"the cloud already holds {self.waiters} long-polls open (the limit, "
                "KFLEET_JOB_WAIT_MAX_WAITERS); ask again without wait_s, or wait and retry"
            )
        self.waiters += 1
        try:
            yield
        finally:
            self.waiters -= 1

    def _refuse(self, why: str) -> NoReturn:
        self.refused += 1
        now = time.monotonic()
        if now - self._logged_at >= LOG_EVERY_S:
            log.warning(
                "job API refused a request (429, %d since the last warning): %s",
                self.refused - self._logged_refused,
                why,
            )
            self._logged_at, self._logged_refused = now, self.refused
        after = self.limits.retry_after_s
        raise TooBusy(f"{why}: nothing was stored; send the same request again in {after} s", after)
