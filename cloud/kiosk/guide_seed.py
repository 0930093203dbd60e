"""``kfleet demo`` starts with the sample catalogue published, so every pilot kiosk has a
guide to search, print and open on a phone. A catalogue already edited or published is left
alone: the sample never overwrites anyone's work."""

from __future__ import annotations

from cloud.kiosk.catalogue_document import GuideDocument
from cloud.kiosk.catalogue_service import CatalogueService, Filters
from cloud.kiosk.guide_sample import sample_catalogue

ACTOR = "demo"


async def seed_sample_catalogue(service: CatalogueService) -> int | None:
    """Import and publish the sample into an empty catalogue; its version, or None when the
    catalogue already held something."""
    if await service.current() is not None:
        return None
    _, total = await service.list_items(Filters(), 1)
    if total:
        return None
    sample = sample_catalogue()
    doc = GuideDocument(
        sample=True, departments=sample.departments, themes=sample.themes, items=sample.items
    )
    await service.import_document(doc, "merge", actor=ACTOR)
    published = await service.publish(ACTOR, note="样例目录 sample catalogue")
    return published.version
