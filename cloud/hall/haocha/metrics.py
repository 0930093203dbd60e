"""The forwarder's counters in ``/metrics`` (this instance's; sum them over instances)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from cloud.hall.haocha.forwarder import Forwarder


def haocha_metrics(fwd: Forwarder | None) -> Iterator[Metric]:
    if fwd is None:
        return
    st = fwd.stats
    for name, value, what in (
        ("submitted", st.submitted, "ratings submitted to the provincial 好差评 platform"),
        ("sent", st.sent, "ratings the platform accepted"),
        ("duplicates", st.duplicates, "accepted as a repeat of one it held (a resend)"),
        ("refused", st.refused, "ratings the platform refused for good"),
        ("unavailable", st.unavailable, "submits that failed and will be retried"),
        ("skipped", st.skipped, "rows with no rating, not sent"),
    ):
        yield CounterMetricFamily(f"kfleet_haocha_{name}", what, value)
    yield GaugeMetricFamily(
        "kfleet_haocha_enabled", "1 when KFLEET_HAOCHA_URL is set", int(fwd.enabled)
    )
    yield GaugeMetricFamily(
        "kfleet_haocha_failing", "1 while every submit fails", int(st.failing_since is not None)
    )
