"""The catalogue on the kiosk: loaded from the site's ``catalogue`` content once its blob is
cached, re-hashed and validated before it is searched, a bad blob never loaded (the previous
catalogue stays), and the last catalogue kept across a restart without the cloud."""

from __future__ import annotations

import asyncio
from pathlib import Path

from edge_agent.hall import HallContent
from edge_agent.kiosk.guide_catalogue import GuideCatalogue
from protocols.guide import CATALOGUE
from tests.kiosk.guide_agent_kit import SITE_A, body_for, catalogue

TIMEOUT = 10.0


def hall_of(data: Path) -> HallContent:
    return HallContent(SITE_A, data, cloud_url=None, kinds={CATALOGUE})


def cache(hall: HallContent, data: bytes, version: int, *, stored: bytes | None = None) -> None:
    """Announce ``data`` as catalogue ``version``, its blob already verified in the cache (as
    the blob cache leaves it) — or ``stored`` written there instead (a disk that rotted)."""
    body = body_for(SITE_A, data, version)
    path = hall.blobs.path(body.blob.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if stored is None else stored)
    assert hall.accept(CATALOGUE, body)


def blob(version: int) -> bytes:
    return catalogue(version).model_dump_json().encode()


async def settled(guide: GuideCatalogue) -> None:
    """Until the refresh the last change started has ended."""
    async with asyncio.timeout(TIMEOUT):
        await guide.refresh()


async def test_nothing_held_is_no_index(tmp_path: Path) -> None:
    guide = GuideCatalogue(hall_of(tmp_path), tmp_path)
    assert await guide.current() is None
    assert GuideCatalogue(None, tmp_path).index is None


async def test_a_catalogue_arriving_is_loaded_indexed_and_kept(tmp_path: Path) -> None:
    hall = hall_of(tmp_path)
    guide = GuideCatalogue(hall, tmp_path)
    cache(hall, blob(1), 1)
    async with asyncio.timeout(TIMEOUT):
        await guide.wait_version(1)  # built because it arrived, before anyone searched
    index = await guide.current()
    assert index is not None and index.catalogue.version == 1 and "GJJ-001" in index.by_code
    assert guide.kept_path.is_file() and guide.problem == ""


async def test_a_blob_that_is_no_catalogue_is_never_loaded(tmp_path: Path) -> None:
    hall = hall_of(tmp_path)
    guide = GuideCatalogue(hall, tmp_path)
    cache(hall, blob(1), 1)
    await settled(guide)
    cache(hall, b'{"version": 2, "items": "oops"}', 2)  # the right hash of the wrong thing
    await settled(guide)
    assert guide.refused["invalid"] == 1 and "v2 refused" in guide.problem
    index = await guide.current()
    assert index is not None and index.catalogue.version == 1


async def test_a_blob_of_another_version_is_refused(tmp_path: Path) -> None:
    hall = hall_of(tmp_path)
    guide = GuideCatalogue(hall, tmp_path)
    cache(hall, blob(7), 3)
    await settled(guide)
    assert guide.refused["version_mismatch"] == 1 and await guide.current() is None


async def test_a_cached_blob_that_rotted_is_refused(tmp_path: Path) -> None:
    hall = hall_of(tmp_path)
    guide = GuideCatalogue(hall, tmp_path)
    good = blob(1)
    cache(hall, good, 1, stored=good.replace(b"GJJ-001", b"GJJ-666"))
    await settled(guide)
    assert guide.refused["damaged"] == 1 and await guide.current() is None


async def test_restarted_offline_it_searches_the_catalogue_it_held(tmp_path: Path) -> None:
    hall = hall_of(tmp_path)
    guide = GuideCatalogue(hall, tmp_path)
    cache(hall, blob(1), 1)
    await settled(guide)
    v2 = body_for(SITE_A, blob(2), 2)  # announced, but the cloud went away before its blob
    assert hall.accept(CATALOGUE, v2)

    again = hall_of(tmp_path)  # a restart: the store says v2, only v1's blob is here
    again.load()
    assert again.store.version(CATALOGUE) == 2
    restarted = GuideCatalogue(again, tmp_path)
    index = await restarted.current()
    assert index is not None and index.catalogue.version == 1

    path = again.blobs.path(v2.blob.sha256)  # the blob arrives at last
    path.write_bytes(blob(2))
    again._blob_ready()  # what the blob cache calls once a fetch is verified and written
    async with asyncio.timeout(TIMEOUT):
        await restarted.wait_version(2)
