"""What each refusal of ``POST /api/v1/enroll`` means for the technician, and its exit code.

The cloud's ``code`` picks the error; its own ``message`` (which says when a token was used,
by which device, when it expired) is kept in the sentence.
"""

from __future__ import annotations

import httpx

from provisioning.cloud_http import error_code
from provisioning.enroll_errors import (
    BadToken,
    CloudRefused,
    DeviceConflict,
    ProvisionError,
    SiteUnknown,
    TokenExpired,
    TokenRevoked,
    TokenUnknown,
    TokenUsed,
)

NEW_TOKEN = "ask the operator for a new token (console: Enrollment, or `kfleet provision bulk`)"

#: code → (error, what to do)
REFUSALS: dict[str, tuple[type[ProvisionError], str]] = {
    "token_malformed": (BadToken, "copy the token again, or scan the QR code"),
    "token_unknown": (
        TokenUnknown,
        "check that it was copied whole and that --cloud is the cloud that minted it; or "
        + NEW_TOKEN,
    ),
    "token_used": (TokenUsed, f"a token enrolls one device once; {NEW_TOKEN}"),
    "token_expired": (TokenExpired, NEW_TOKEN),
    "token_revoked": (TokenRevoked, f"an operator revoked it; {NEW_TOKEN}"),
    "site_gone": (
        SiteUnknown,
        "the site was removed after the token was made; ask the operator for a token for an "
        "existing site",
    ),
    "site_unknown": (SiteUnknown, "ask the operator for a token for an existing site"),
    "device_conflict": (
        DeviceConflict,
        "choose another --device-id, or ask the operator to revoke the other device first "
        "(the token was not used)",
    ),
}


def refusal(r: httpx.Response) -> ProvisionError:
    """The error for an enroll answer that is not 200."""
    code, message = error_code(r)
    known = REFUSALS.get(code)
    said = message.rstrip(".") or f"HTTP {r.status_code}"
    if known is None:
        return CloudRefused(
            f"the cloud refused the enrollment ({code}, HTTP {r.status_code}): {said}; the "
            "token was not used unless the console says so: fix the cause and run the command "
            "again"
        )
    error, fix = known
    return error(f"the cloud refused the token ({code}): {said}; {fix}")
