"""Why an enrollment (or a device action) was refused: an HTTP status and a stable ``code``
a CLI can map to its exit code, with a sentence saying what to do."""

from __future__ import annotations

from cloud.errors import CloudError


class EnrollRefused(CloudError):
    """A precise refusal (``token_used``, ``token_expired``, ...) with its own status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status_code = status
        self.code = code


class BrokerUnavailable(CloudError):
    """The broker's access control refused or did not answer: nothing was changed."""

    status_code = 503

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.code = "broker_unavailable"


#: statuses of the exchange's refusals (docs/provisioning.md lists them)
MALFORMED = 422  # token_malformed, device_id_missing
UNKNOWN = 401  # token_unknown: no such token or a wrong secret
USED = 409  # token_used, device_conflict
GONE = 410  # token_expired, token_revoked, site_gone
