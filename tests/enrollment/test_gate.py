"""The enrollment gate's log memory: a refusal is logged the first time per device and reason,
then only counted (a retained birth returns on every reconnect)."""

from __future__ import annotations

from cloud.enrollment.gate import EnrollmentGate
from cloud.reasons import Rejected


def test_each_device_and_reason_is_logged_once() -> None:
    gate = EnrollmentGate(require_enrollment=True)
    assert gate.first("k1", Rejected.UNREGISTERED_DEVICE) is True
    assert gate.first("k1", Rejected.UNREGISTERED_DEVICE) is False
    assert gate.first("k2", Rejected.UNREGISTERED_DEVICE) is True
    # enrolled, then revoked: a new reason is news and is logged
    assert gate.first("k1", Rejected.DEVICE_REVOKED) is True
