"""The published catalogue as the print route and the public page read it: through the
catalogue service's ``current()`` (``kiosk.catalogue``), never the unpublished working copy,
so the paper and the phone show what the kiosks show."""

from __future__ import annotations

from typing import Protocol

from cloud.kiosk.errors import KioskError
from protocols.guide import Catalogue, Item


class CurrentCatalogue(Protocol):
    async def current(self) -> Catalogue | None: ...


class HasCatalogue(Protocol):
    """The kiosk parts (``cloud.kiosk.parts.Kiosk``, not imported: it names this module's
    users) as far as the guide reads them."""

    @property
    def catalogue(self) -> CurrentCatalogue | None: ...


class GuideNotPublished(KioskError):
    status_code = 503
    code = "guide_not_published"

    def __init__(self) -> None:
        super().__init__(
            "no catalogue is published yet: publish one in the console (办事指南)",
            "办事指南暂未发布，请到窗口咨询。",
            "The service guide is not published yet: please ask at a window.",
        )


class GuideItemUnknown(KioskError):
    status_code = 404
    code = "guide_item_unknown"

    def __init__(self, code: str) -> None:
        super().__init__(
            f"the published catalogue has no item {code!r}",
            "没有找到这个事项，可能已调整，请重新查找。",
            "This service was not found; it may have changed. Please search again.",
        )


async def published_item(kiosk: HasCatalogue, code: str) -> tuple[Catalogue, Item]:
    """The catalogue and its item ``code``; :class:`GuideNotPublished` or
    :class:`GuideItemUnknown` (both carry the citizen's sentence)."""
    catalogue = await kiosk.catalogue.current() if kiosk.catalogue is not None else None
    if catalogue is None:
        raise GuideNotPublished()
    item = next((i for i in catalogue.items if i.code == code), None)
    if item is None:
        raise GuideItemUnknown(code)
    return catalogue, item


def department_name(catalogue: Catalogue, code: str) -> str:
    return next((d.name for d in catalogue.departments if d.code == code), code)
