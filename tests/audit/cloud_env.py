"""A running cloud for the audit API tests, and callers of each kind made by identity_kit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.access import PersonRole
from tests.cloudkit import running_cloud
from tests.identity_kit import bearer, make_api_token

#: the most rows one export may hold in these tests (the setting, made small)
EXPORT_CAP = 20


@dataclass(frozen=True)
class Env:
    parts: Parts
    http: httpx.AsyncClient
    auditor: dict[str, str]  # headers of a root-scoped auditor (sees siteless rows)
    town_auditor: dict[str, str]  # headers of an auditor scoped to one town
    operator: dict[str, str]  # headers of an operator (no audit.read)


@asynccontextmanager
async def audit_cloud(tmp_path: Path, mqtt_url: str, town: str) -> AsyncIterator[Env]:
    settings = Settings(
        data_dir=tmp_path, mqtt_url=mqtt_url, demo=True, audit_export_max_rows=EXPORT_CAP
    )
    async with running_cloud(settings) as (parts, http):
        s = parts.sessions
        yield Env(
            parts,
            http,
            bearer(await make_api_token(s, PersonRole.AUDITOR, "qh", name="root-auditor")),
            bearer(await make_api_token(s, PersonRole.AUDITOR, town, name="town-auditor")),
            bearer(await make_api_token(s, PersonRole.OPERATOR, "qh", name="operator")),
        )
