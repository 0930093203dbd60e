"""The media plane in ``/metrics``: one gauge family per health figure, a series per live
stream (labelled like the console shows it), so Prometheus can alert on a stalled stream and
graph viewers and bitrate. This instance's streams only: a stream lives on the instance its
publisher reached."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric

from cloud.media.service import MediaService

_LABELS = ["stream_id", "purpose", "site", "device"]


def media_metrics(media: MediaService | None) -> Iterator[Metric]:
    if media is None:
        return
    health = media.health()
    families = {
        "fps": GaugeMetricFamily(
            "kfleet_media_stream_fps", "video frames per second from the publisher", labels=_LABELS
        ),
        "bitrate": GaugeMetricFamily(
            "kfleet_media_stream_bitrate_kbps", "media kbit/s from the publisher", labels=_LABELS
        ),
        "loss": GaugeMetricFamily(
            "kfleet_media_stream_packet_loss_pct", "RTP packets lost, %", labels=_LABELS
        ),
        "viewers": GaugeMetricFamily(
            "kfleet_media_stream_viewers", "WHEP viewers now", labels=_LABELS
        ),
        "stalled": GaugeMetricFamily(
            "kfleet_media_stream_stalled", "1 when no video for media_stall_s", labels=_LABELS
        ),
        "age": GaugeMetricFamily(
            "kfleet_media_stream_seconds_since_media",
            "seconds since the last video frame (since the start when none came)",
            labels=_LABELS,
        ),
    }
    now = time.time()
    for h in health:
        labels = [h.info.stream_id, h.info.purpose, h.info.site_path, h.info.device_id or ""]
        last = h.last_media_at or h.started_at
        families["fps"].add_metric(labels, h.fps)
        families["bitrate"].add_metric(labels, h.bitrate_kbps)
        families["loss"].add_metric(labels, h.packet_loss_pct)
        families["viewers"].add_metric(labels, h.viewers)
        families["stalled"].add_metric(labels, 1.0 if h.state == "stalled" else 0.0)
        families["age"].add_metric(labels, max(0.0, now - last.timestamp()))
    yield GaugeMetricFamily(
        "kfleet_media_streams", f"live streams on this instance ({media.backend.name})", len(health)
    )
    yield from families.values()
