"""The pure state machine and the contracts it shares with the message service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cloud.notify.model import NoticeKind, Severity
from fleet.alert_rules import SEVERITIES, RuleError, parse_params
from fleet.alerts import AlertState, AlertView, SilenceView, Step, Tell, silences, step

T = datetime(2026, 12, 6, tzinfo=UTC)


def later(s: float) -> datetime:
    return T + timedelta(seconds=s)


def test_fleet_speaks_the_notify_contracts_words() -> None:
    assert tuple(s.value for s in Severity) == SEVERITIES
    assert [t.value for t in Tell] == [k.value for k in NoticeKind]


FIRING_TOLD = AlertView(AlertState.FIRING, T, notices=1, last_notice_at=T)


@pytest.mark.parametrize(
    ("alert", "holds", "now", "silenced", "expected"),
    [
        (None, False, T, False, Step()),
        (None, True, T, False, Step(AlertState.PENDING)),
        (None, True, T, True, Step(AlertState.PENDING)),
        (
            AlertView(AlertState.PENDING, T),
            True,
            later(60),
            False,
            Step(AlertState.FIRING, Tell.OPENED),
        ),
        (AlertView(AlertState.PENDING, T), True, later(60), True, Step(AlertState.FIRING, None)),
        (FIRING_TOLD, True, later(599), False, Step()),
        (FIRING_TOLD, True, later(600), False, Step(None, Tell.REMINDER)),
        (FIRING_TOLD, True, later(600), True, Step()),
        (
            AlertView(AlertState.FIRING, T, acked=True, notices=1, last_notice_at=T),
            True,
            later(900),
            False,
            Step(),
        ),
        (FIRING_TOLD, False, later(1), False, Step(AlertState.RESOLVED, Tell.RESOLVED)),
        (FIRING_TOLD, False, later(1), True, Step(AlertState.RESOLVED, None)),
        (AlertView(AlertState.FIRING, T), False, later(1), False, Step(AlertState.RESOLVED, None)),
        (AlertView(AlertState.FIRING, T), True, later(1), False, Step(None, Tell.OPENED)),
        (AlertView(AlertState.PENDING, T), True, later(59), False, Step()),
        (AlertView(AlertState.PENDING, T), False, later(59), False, Step(AlertState.CLEARED)),
    ],
)
def test_step(
    alert: AlertView | None, holds: bool, now: datetime, silenced: bool, expected: Step
) -> None:
    assert step(alert, holds, now, for_s=60, repeat_s=600, silenced=silenced) == expected


def test_a_silence_matches_by_rule_subject_device_site_and_time() -> None:
    s = SilenceView(3, "device:k1", "qh/hx", T, later(60))
    assert silences(s, 3, "peripheral:k1/rp1", "k1", "qh/hx/golmud", later(1))
    assert not silences(s, 4, "peripheral:k1/rp1", "k1", "qh/hx/golmud", later(1))
    assert not silences(s, 3, "peripheral:k2/rp1", "k2", "qh/hx/golmud", later(1))
    assert not silences(s, 3, "device:k1", "k1", "qh/xn", later(1))
    assert not silences(s, 3, "device:k1", "k1", "qh/hx", later(60))


def test_params_errors_name_the_field() -> None:
    with pytest.raises(RuleError) as err:
        parse_params("metric", {"name": "sys.disk_pct", "threshold": float("nan")})
    assert err.value.field == "params.threshold" and "between" in err.value.message
    with pytest.raises(RuleError, match=r"params\.min_jobs"):
        parse_params("job_failure", {"min_jobs": 2.5})
    with pytest.raises(RuleError, match=r"params\.states"):
        parse_params("presence", {"states": []})
