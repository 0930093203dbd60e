"""The caller each kind of route takes: ``Annotated`` aliases of :func:`require` per permission,
so a handler's signature says what it needs (and the OpenAPI document says how to send it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cloud.api.auth_deps import require
from cloud.auth.principal import Principal
from fleet.access import Permission

SitesReader = Annotated[Principal, Depends(require(Permission.SITES_READ))]
SitesWriter = Annotated[Principal, Depends(require(Permission.SITES_WRITE))]
DevicesReader = Annotated[Principal, Depends(require(Permission.DEVICES_READ))]
JobsReader = Annotated[Principal, Depends(require(Permission.JOBS_READ))]
JobsWriter = Annotated[Principal, Depends(require(Permission.JOBS_WRITE))]
CallsWriter = Annotated[Principal, Depends(require(Permission.CALLS_WRITE))]
SystemReader = Annotated[Principal, Depends(require(Permission.SYSTEM_READ))]
