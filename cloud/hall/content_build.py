"""Builds the content service from the settings (``cloud.wiring.build_hall`` calls it)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cloud.blobs import BlobStore
from cloud.hall.content_images import ImageLimits
from cloud.hall.content_service import ContentService
from cloud.hall.publisher import ContentPublisher
from cloud.settings import Settings

#: pixels on either side: a plan may be detailed, a photo is shown small
PLAN_MAX_SIDE = 8192
PHOTO_MAX_SIDE = 4096


def build_content(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], publisher: ContentPublisher
) -> ContentService:
    # the same store as the blob routes (same root): a plan is fetched by devices there
    blobs = BlobStore(settings.data_dir / "blobs", settings.blob_max_bytes)
    return ContentService(
        sessions,
        publisher,
        blobs,
        ImageLimits(settings.hall_plan_max_bytes, PLAN_MAX_SIDE),
        ImageLimits(settings.hall_photo_max_bytes, PHOTO_MAX_SIDE),
    )
