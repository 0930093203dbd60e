"""The stream's VP8 encoder, capped at the bitrate the cloud asked for.

aiortc's VP8 encoder starts at 500 kbps and follows the receiver's REMB estimate between
250 kbps and 1.5 Mbps; ``stream_start``'s ``max_bitrate_kbps`` lowers that ceiling (a
village service point's uplink is shared with everything else). aiortc (pinned) makes each
sender's encoder on its first frame unless one is there already: :func:`cap_video_bitrate`
puts a capped one there. Each stream's sender has its own encoder (one encoder per stream).
"""

from __future__ import annotations

import logging

from aiortc.codecs.vpx import Vp8Encoder

log = logging.getLogger(__name__)

#: the name-mangled slot aiortc 1.16's RTCRtpSender keeps its encoder in
_ENCODER_SLOT = "_RTCRtpSender__encoder"


class CappedVp8Encoder(Vp8Encoder):
    """aiortc's VP8 encoder whose target bitrate never exceeds ``max_bps``."""

    def __init__(self, max_bps: int) -> None:
        super().__init__()
        self.max_bps = max_bps
        self.target_bitrate = self.target_bitrate  # apply the cap to the starting rate

    @property
    def target_bitrate(self) -> int:
        return int(Vp8Encoder.target_bitrate.fget(self))  # type: ignore[attr-defined]

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        Vp8Encoder.target_bitrate.fset(self, min(bitrate, self.max_bps))  # type: ignore[attr-defined]


def cap_video_bitrate(sender: object, max_kbps: int) -> bool:
    """Give ``sender`` (an RTCRtpSender not started yet) a capped VP8 encoder; False (and
    aiortc's own encoder, logged) if this aiortc keeps its encoder elsewhere."""
    if getattr(sender, _ENCODER_SLOT, "missing") is not None:
        log.warning("aiortc's sender has no encoder slot: max_bitrate_kbps is not applied")
        return False
    setattr(sender, _ENCODER_SLOT, CappedVp8Encoder(max_kbps * 1000))
    return True
