"""Request-body limits, enforced before a body is parsed (or even read).

A body announced larger than the limit (``Content-Length``) is refused with 413 before one
byte of it is read; a streamed (chunked) body is counted as it arrives and refused as soon as
it passes the limit, so a 20 MB JSON body never reaches the JSON parser. Blob uploads have
their own, larger limit (``KFLEET_BLOB_MAX_BYTES``); everything else has
``KFLEET_API_MAX_BODY_BYTES``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cloud.api.errors import error_response

#: ``PUT`` on these paths uploads a blob (cloud/api/blobs.py).
BLOB_UPLOAD = re.compile(r"^/api/v1/blobs/[^/]+/?$")
#: ``POST`` here publishes an agent release, a blob too (issue 17, cloud/api/rollouts.py)
RELEASE_UPLOAD = re.compile(r"^/api/v1/agent-releases/?$")
#: hall image uploads (multipart): a floor plan (POST) or a staff photo (PUT)
HALL_IMAGE_UPLOAD = re.compile(r"^/api/v1/hall/(floorplans|staff/[^/]+/photo)/?$")
#: the service-guide catalogue's import (JSON or Excel, multipart): a county's 5,000 items
GUIDE_IMPORT = re.compile(r"^/api/v1/guide/import/?$")
#: room for the multipart framing around an image at its limit (the route checks the image)
MULTIPART_SLACK = 64 * 1024


@dataclass(frozen=True)
class BodyLimits:
    #: bytes of any request body but a blob upload
    api_max_bytes: int
    #: bytes of a blob upload
    blob_max_bytes: int
    #: bytes of a hall image upload (floor plan, staff photo), before multipart framing
    hall_image_max_bytes: int = 0
    #: bytes of a catalogue import (``POST /api/v1/guide/import``), before multipart framing
    guide_import_max_bytes: int = 0

    def for_request(self, method: str, path: str) -> tuple[int, str]:
        """The limit for this request, and the setting that raises it."""
        if method == "PUT" and BLOB_UPLOAD.match(path):
            return self.blob_max_bytes, "KFLEET_BLOB_MAX_BYTES"
        if method == "POST" and RELEASE_UPLOAD.match(path):
            return self.blob_max_bytes, "KFLEET_BLOB_MAX_BYTES"
        if (
            self.hall_image_max_bytes
            and HALL_IMAGE_UPLOAD.match(path)
            and method in ("POST", "PUT")
        ):
            return self.hall_image_max_bytes + MULTIPART_SLACK, "KFLEET_HALL_PLAN_MAX_BYTES"
        if self.guide_import_max_bytes and method == "POST" and GUIDE_IMPORT.match(path):
            return self.guide_import_max_bytes + MULTIPART_SLACK, "KFLEET_GUIDE_IMPORT_MAX_BYTES"
        return self.api_max_bytes, "KFLEET_API_MAX_BODY_BYTES"


class BodyTooLarge(HTTPException):
    """The body passed its limit while it was read (HTTP 413, in the one error shape)."""

    def __init__(self, size: int | None, limit: int, setting: str) -> None:
        said = f"is {size} bytes" if size is not None else "is larger than that"
        super().__init__(
            413,
            f"the request body {said}, more than the {limit} bytes this route accepts: "
            f"send a smaller body (compress or split a file), or raise {setting}",
        )


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "")
    return int(value) if value.isdigit() else None


class BodyLimit:
    """ASGI middleware: refuse an over-limit body with 413 without reading it all."""

    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = self.limits.for_request(scope["method"], scope["path"])
        length = _content_length(scope)
        if length is not None and length > limit:
            refused = BodyTooLarge(length, limit, setting)
            # the client may still be sending: close the connection rather than drain it
            response = error_response(413, str(refused.detail), headers={"Connection": "close"})
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(None, limit, setting)
            return message

        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge as err:  # raised where no handler turned it into a response
            if started:
                raise
            response = error_response(413, str(err.detail), headers={"Connection": "close"})
            await response(scope, receive, send)
