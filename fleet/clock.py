"""Device clock offsets: the estimator lives in :mod:`protocols.clock` so the agent can run the
same minimum-delay filter on the cloud's messages (``clock.offset_ms`` in its telemetry)."""

from __future__ import annotations

from protocols.clock import DEFAULT_JUMP_MS, DEFAULT_WINDOW_MS, MAX_CANDIDATES, OffsetEstimator

__all__ = ["DEFAULT_JUMP_MS", "DEFAULT_WINDOW_MS", "MAX_CANDIDATES", "OffsetEstimator"]
