"""Dependency aliases shared by the routers.

Handlers get the :class:`~cloud.context.Cloud` and open short sessions themselves: with SQLite
the process has one connection, so no request may hold one while it waits (long-polls do).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cloud.blobs import BlobStore
from cloud.context import Cloud


def get_cloud(request: Request) -> Cloud:
    cloud: Cloud = request.app.state.cloud
    return cloud


CloudDep = Annotated[Cloud, Depends(get_cloud)]


def get_blob_store(cloud: CloudDep) -> BlobStore:
    """The blob store under ``data_dir/blobs`` (stateless: cheap to build per request)."""
    return BlobStore(cloud.settings.data_dir / "blobs", cloud.settings.blob_max_bytes)


BlobStoreDep = Annotated[BlobStore, Depends(get_blob_store)]
