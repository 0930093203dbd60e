"""Call recordings (issue 16, ``help_recording``): which sides of a call were recorded and how
it went, and the WebM files for playback (``Range`` requests, so a browser can seek).
``help.recordings`` — administrators and auditors — scoped: a call outside the caller's
subtree does not exist for them. Every playback is in the audit log (docs/help-desk.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlalchemy import select

from cloud import audit
from cloud.api.auth_deps import check_site, require
from cloud.api.deps import SessionsDep
from cloud.api.enrollment import described
from cloud.api.hall_queue_deps import record
from cloud.api.help_schemas import CallId
from cloud.api.strict_json import StrictJsonRoute
from cloud.auth.principal import Principal
from cloud.errors import NotFound
from cloud.help.calls_tables import HelpCallRow
from cloud.help.recordings_tables import HelpRecordingRow
from cloud.media.call_recordings import CallRecordings
from fleet.access import Permission

router = APIRouter(prefix="/api/v1/help", tags=["help desk"], route_class=StrictJsonRoute)
Reviewer = Annotated[Principal, Depends(require(Permission.HELP_RECORDINGS))]
RecordingId = Annotated[
    str, Path(pattern=r"^rec-[0-9a-f]{24}$", description="the recording: rec- + 24 hex")
]
_AUTH = {401: "no credentials, or bad ones", 403: "permission_denied: help.recordings needed"}
_LIST = described(
    500, said={**_AUTH, 404: "call_not_found (or outside your scope)", 422: "a malformed call id"}
)
_MEDIA = described(
    500,
    said={
        **_AUTH,
        404: "recording_not_found (or outside your scope), or its file is gone: deleted "
        "after help_recording_days, never written (state empty), or the recording directory "
        "is not mounted on this cloud process",
        416: "a Range outside the file",
        422: "a malformed recording id",
    },
)


class RecordingNotFound(NotFound):
    code = "recording_not_found"


class RecordingOut(BaseModel):
    recording_id: str
    call_id: str
    #: ``kiosk`` (the citizen's camera and microphone) or ``operator``
    side: str
    #: ``recording`` | ``complete`` | ``failed`` | ``empty`` | ``deleted``
    state: str
    #: why a recording failed (disk full, size limit, a backend that cannot record)
    reason: str
    started_at: datetime
    ended_at: datetime | None
    bytes: int
    duration_s: float
    #: frames dropped because the disk could not keep up (gaps in the record)
    dropped: int
    sha256: str
    deleted_at: datetime | None
    #: where to play it (None: nothing to play)
    media_url: str | None


async def _recordings(request: Request) -> CallRecordings:
    recordings: CallRecordings = request.app.state.parts.recordings
    return recordings


Recordings = Annotated[CallRecordings, Depends(_recordings)]


def _out(row: HelpRecordingRow, playable: bool) -> RecordingOut:
    return RecordingOut(
        recording_id=row.recording_id,
        call_id=row.call_id,
        side=row.side,
        state=row.state,
        reason=row.reason,
        started_at=row.started_at,
        ended_at=row.ended_at,
        bytes=row.bytes,
        duration_s=row.duration_s,
        dropped=row.dropped,
        sha256=row.sha256,
        deleted_at=row.deleted_at,
        media_url=f"/api/v1/help/recordings/{row.recording_id}/media" if playable else None,
    )


@router.get("/calls/{call_id}/recordings", response_model=list[RecordingOut], responses=_LIST)
async def list_recordings(
    call_id: CallId, caller: Reviewer, recordings: Recordings, sessions: SessionsDep
) -> list[RecordingOut]:
    """The recorded sides of one call (empty: the call was not recorded)."""
    async with sessions() as s:
        call = await s.get(HelpCallRow, call_id)
        if call is None:
            raise NotFound(f"remote-help call {call_id} not found")
        check_site(caller, call.site_path, f"remote-help call {call_id}")
        rows = (
            await s.scalars(
                select(HelpRecordingRow)
                .where(HelpRecordingRow.call_id == call_id)
                .order_by(HelpRecordingRow.side)
            )
        ).all()
    return [_out(r, recordings.file_of(r) is not None) for r in rows]


@router.get(
    "/recordings/{recording_id}/media",
    response_class=FileResponse,
    responses={200: {"content": {"video/webm": {}}}, 206: {"description": "a Range"}, **_MEDIA},
)
async def recording_media(
    recording_id: RecordingId,
    caller: Reviewer,
    recordings: Recordings,
    sessions: SessionsDep,
    request: Request,
) -> FileResponse:
    """The recording's WebM file. A request from the start (no ``Range``, or one from byte 0)
    is a playback and leaves an audit row ``help.recording.play``; the seeks after it do not."""
    async with sessions() as s:
        row = await s.get(HelpRecordingRow, recording_id)
        call = None if row is None else await s.get(HelpCallRow, row.call_id)
    if row is None or call is None or not caller.sees(call.site_path):
        raise RecordingNotFound(f"recording {recording_id} not found")
    path = recordings.file_of(row)
    if path is None:
        raise RecordingNotFound(
            f"recording {recording_id} has no file to play (state {row.state}): deleted after "
            "help_recording_days, never written, or help_recording_dir is not this process's"
        )
    if request.headers.get("range", "bytes=0-").startswith("bytes=0-"):
        detail: dict[str, object] = {"call_id": row.call_id, "side": row.side}
        await audit.write(
            sessions,
            record(caller, request, "help.recording.play", recording_id, call.site_path, detail),
        )
    return FileResponse(
        path,
        media_type="video/webm",
        headers={"Cache-Control": "private, no-store"},
    )
