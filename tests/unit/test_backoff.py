"""The agent's reconnect backoff spreads a fleet that lost its broker at once."""

from __future__ import annotations

import random
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from edge_agent.link import MIN_WINDOW_OF_CAP, backoff_delay, backoff_window


@given(
    st.integers(0, 200),
    st.floats(0.01, 60),
    st.floats(0.01, 3600),
)
def test_delay_is_within_a_floored_capped_window(attempt: int, base: float, cap: float) -> None:
    window = backoff_window(attempt, base, cap)
    assert cap * MIN_WINDOW_OF_CAP <= window <= cap
    assert window >= min(cap, base * 2 ** min(attempt, 30))
    assert 0 <= backoff_delay(attempt, base, cap) <= window


def test_the_first_retry_after_a_loss_is_spread_over_the_minimum_window() -> None:
    """1000 agents with the default settings (0.5 s base, 30 s cap) that lose the broker
    together: their first retries spread over 5 s, about 200 per second, not 2000 in 0.5 s."""
    rng_state = random.getstate()
    random.seed(4)
    try:
        delays = [backoff_delay(0, 0.5, 30.0) for _ in range(1000)]
    finally:
        random.setstate(rng_state)
    per_second = Counter(int(d) for d in delays)
    assert sorted(per_second) == [0, 1, 2, 3, 4]
    assert max(per_second.values()) < 250
    assert backoff_window(0, 0.5, 30.0) == 5.0
    assert backoff_window(4, 0.5, 30.0) == 8.0
    assert backoff_window(10, 0.5, 30.0) == 30.0
