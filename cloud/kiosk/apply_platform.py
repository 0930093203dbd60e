"""The adapter to the city 政务服务平台's application API (自助申报; docs/kiosk-apply.md "Wire
format"), on the case API's signed client (:class:`cloud.kiosk.city_platform.CityPlatform`):
each material page uploaded as a file, then the application naming the files.

Same signing, bounds and error family as the case API; only paths, statuses and the
platform's codes are logged (the bodies hold ID numbers, names and scanned documents).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from cloud.kiosk.city_platform_errors import CityPlatformBadAnswer

MATERIAL_PATH = "/gov/api/v2/apply/material"
SUBMIT_PATH = "/gov/api/v2/apply/submit"


class SignedCaller(Protocol):
    """What the adapter needs of the case API's client: one signed call → the answer's data."""

    async def _call(self, path: str, body: dict[str, Any]) -> Any: ...


@dataclass(frozen=True)
class MaterialFiles:
    code: str
    name: str
    file_ids: list[str]


@dataclass(frozen=True)
class Filed:
    """The platform's answer to an application."""

    case_no: str
    accept_time: str
    query_url: str
    repeated: bool


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _FileOut(_Wire):
    fileId: str


class _SubmitOut(_Wire):
    caseNo: str
    acceptTime: str = ""
    queryUrl: str = ""
    repeated: bool = False


async def upload_file(platform: SignedCaller, name: str, media_type: str, content: bytes) -> str:
    """Upload one page; the platform's file id."""
    body = {
        "fileName": name,
        "mediaType": media_type,
        "sha256": hashlib.sha256(content).hexdigest(),
        "content": base64.b64encode(content).decode(),
    }
    data = await platform._call(MATERIAL_PATH, body)
    try:
        return _FileOut.model_validate(data).fileId
    except ValidationError as err:
        raise CityPlatformBadAnswer(f"material answer not in the documented shape: {err}") from err


async def submit(
    platform: SignedCaller, application: dict[str, Any], materials: list[MaterialFiles]
) -> Filed:
    """File the application (``bizSerialNo`` makes a repeat answer the same case)."""
    body = {
        **application,
        "certType": "111",
        "materials": [
            {"materialCode": m.code, "materialName": m.name, "fileIds": m.file_ids}
            for m in materials
        ],
    }
    data = await platform._call(SUBMIT_PATH, body)
    try:
        got = _SubmitOut.model_validate(data)
    except ValidationError as err:
        raise CityPlatformBadAnswer(f"submit answer not in the documented shape: {err}") from err
    return Filed(got.caseNo, got.acceptTime, got.queryUrl, got.repeated)
