"""What the call centre's service hands out and takes in: a call as its routes show it, the
media it needs (a Protocol, so the call centre does not wait on the media plane being built),
the citizen's words and the call centre's errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from cloud.errors import Conflict, NotFound
from cloud.help.calls_tables import HelpCallRow
from cloud.help.ref import CallRef
from cloud.kiosk.errors import KioskError
from fleet.help_calls import KIOSK_OFFLINE
from protocols.av import call_stream_ids

#: ``cloud.media.backend.StreamPurpose``, spelt again: ``cloud.media`` imports ``cloud.help.ref``,
#: so importing it here would make a cycle (a test keeps the two the same)
StreamPurpose = Literal["monitor", "call_kiosk", "call_operator", "other"]


class CallMedia(Protocol):
    """The part of ``parts.media`` (``cloud/media/service.py``, ``MediaService``) a call uses."""

    async def start_device_stream(
        self, device_id: str, stream_id: str, purpose: StreamPurpose, site_path: str
    ) -> str:
        """Ask the device to publish ``stream_id`` (a ``stream_start`` call); its call id."""
        ...

    async def stop_device_stream(self, device_id: str, stream_id: str) -> str:
        """Ask the device to stop publishing ``stream_id``."""
        ...

    def mint_publish(self, stream_id: str, ttl_s: float | None = None) -> str:
        """A token that lets its holder publish (WHIP) ``stream_id``."""
        ...

    def mint_view(self, stream_id: str, ttl_s: float | None, viewer: str) -> str:
        """A token that lets ``viewer`` watch (WHEP) ``stream_id``."""
        ...


@dataclass(frozen=True, slots=True)
class CallView:
    """One call with what its row does not hold: the site's name and the queue position."""

    row: HelpCallRow
    site_name: str
    #: 1 = next to be answered; None once answered or over
    position: int | None

    @property
    def streams(self) -> tuple[str, str]:
        return call_stream_ids(self.row.call_id)

    def ref(self) -> CallRef:
        return ref_of(self.row)


def ref_of(row: HelpCallRow) -> CallRef:
    kiosk_stream, operator_stream = call_stream_ids(row.call_id)
    return CallRef(
        call_id=row.call_id,
        state=row.state,  # type: ignore[arg-type]  # the column holds only CallState values
        device_id=row.device_id,
        site_path=row.site_path,
        operator=row.operator,
        kiosk_stream_id=kiosk_stream,
        operator_stream_id=operator_stream,
    )


@dataclass(frozen=True, slots=True)
class Query:
    """The call list's filters (``GET /api/v1/help/calls``)."""

    scope: str
    state: str | None = None
    site: str | None = None
    since: datetime | None = None
    limit: int = 50
    #: only calls not over yet (the event stream's start)
    open_only: bool = False


#: what the kiosk tells the citizen once a call is over, by state (zh-CN, English)
CITIZEN_WORDS: dict[str, tuple[str, str]] = {
    "missed": (
        "暂时没有工作人员接听，您的求助已记录。请稍后再试，或到服务窗口咨询。",
        "No staff member could answer just now; your call has been recorded. Please try again "
        "later, or ask at a service window.",
    ),
    "ended": ("视频帮办已结束，感谢您的耐心。", "The video help call has ended. Thank you."),
    "cancelled": ("您已取消视频帮办。", "You cancelled the video help call."),
}
#: what the kiosk shows before the operator's picture when ``help_recording`` is on
RECORDING_NOTICE = (
    "温馨提示：本次视频帮办将被录音录像，仅用于服务质量管理。",
    "Please note: this video help call is recorded (sound and picture), for service quality only.",
)
#: an answered call cut off because the kiosk's network did not come back in time
CUT_OFF_WORDS = (
    "视频帮办已中断：本机网络连接断开。如仍需帮助，请再次呼叫或到服务窗口咨询。",
    "The video help call was cut off: this kiosk lost its network connection. If you still "
    "need help, please call again or ask at a service window.",
)


def citizen_words(state: str, ended_reason: str) -> tuple[str, str] | None:
    """What the kiosk tells the citizen about a call that is over (None while it is not)."""
    if state == "ended" and ended_reason == KIOSK_OFFLINE:
        return CUT_OFF_WORDS
    return CITIZEN_WORDS.get(state)


class CallNotFound(NotFound):
    code = "call_not_found"


class CallTaken(Conflict):
    """Another operator took the call, or it is over (one operator per call)."""

    code = "call_taken"


class CallStateConflict(Conflict):
    code = "call_state"


class NoKioskSite(KioskError):
    """The kiosk has no site: the call centre cannot tell whom to ring."""

    status_code = 409
    code = "no_site"

    def __init__(self) -> None:
        super().__init__(
            "the device has no site; assign it to a site before it can call for help",
            "本机暂不能发起视频帮办，请到服务窗口咨询。",
            "This kiosk cannot start a video help call now; please ask at a service window.",
        )
