"""The catalogue's errors: each says what is wrong and what to do. Those a kiosk may meet
carry the citizen's sentence (``KioskError``); the console's are plain cloud errors."""

from __future__ import annotations

from typing import Any

from cloud.errors import Conflict, NotFound, Unprocessable
from cloud.kiosk.errors import KioskError


class ItemNotFound(NotFound):
    code = "guide_item_not_found"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"catalogue item {code!r} does not exist in the working copy; list the items "
            "with GET /api/v1/guide/items"
        )


class VersionNotFound(NotFound):
    code = "guide_version_not_found"

    def __init__(self, version: int) -> None:
        super().__init__(
            f"catalogue version {version} was never published; GET /api/v1/guide/versions "
            "lists the publications"
        )


class ItemExists(Conflict):
    code = "guide_item_exists"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"catalogue item {code!r} already exists: edit it with PUT /api/v1/guide/items/"
            f"{code}, or choose another code"
        )


class StaleRevision(Conflict):
    code = "guide_stale_revision"

    def __init__(self, code: str, sent: int, held: int) -> None:
        super().__init__(
            f"item {code!r} was saved by someone else meanwhile (you edited revision {sent}, "
            f"the catalogue holds revision {held}): reload it, apply your change again and save"
        )


class NothingToPublish(Conflict):
    """Every item is a draft, or there is none: the working copy's state, not the request."""

    code = "guide_nothing_to_publish"


class StaleVersion(Conflict):
    code = "guide_stale_version"


class NothingPublished(KioskError):
    """No catalogue was ever published (the kiosk says the guide is not ready yet)."""

    status_code = 404
    code = "guide_not_published"

    def __init__(self) -> None:
        super().__init__(
            "no service-guide catalogue has been published yet: publish one in the console "
            "(POST /api/v1/guide/publish)",
            "办事指南暂未发布，请到窗口咨询工作人员。",
            "The service guide is not available yet. Please ask at a service window.",
        )


class GuideInvalid(Unprocessable):
    """Several things are wrong at once; ``errors`` lists each with where it is (``loc``),
    as a validation error does (the API answers 422 ``validation_error``)."""

    def __init__(self, what: str, problems: list[tuple[list[str | int], str]]) -> None:
        self.errors: list[dict[str, Any]] = [
            {"loc": loc, "msg": msg, "type": "guide_invalid"} for loc, msg in problems
        ]
        first = problems[0][1] if problems else ""
        super().__init__(f"{what}: {len(problems)} problem(s), the first: {first}")
