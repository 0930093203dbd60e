"""Dependency aliases shared by the routers.

Handlers get the :class:`~cloud.context.Cloud` and open short sessions themselves: with SQLite
the process has one connection, so no request may hold one while it waits (long-polls do).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from cloud.context import Cloud


def get_cloud(request: Request) -> Cloud:
    cloud: Cloud = request.app.state.cloud
    return cloud


CloudDep = Annotated[Cloud, Depends(get_cloud)]
