"""What the catalogue service answers (and the console API returns as JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from protocols.guide import Item

ImportMode = Literal["merge", "replace"]


class ItemOut(BaseModel):
    """One item of the working copy, with what stops it from being published."""

    item: Item
    draft: bool
    sample: bool
    #: send it back as ``?revision=`` when saving: a newer one on the server is a 409
    revision: int
    updated_at: datetime
    updated_by: str
    #: sentences saying what must change before a publication can include it (empty: none)
    problems: list[str]


class ItemSummary(BaseModel):
    """A row of the console's item list."""

    code: str
    name: str
    name_en: str
    department: str
    object: str
    themes: list[str]
    draft: bool
    sample: bool
    revision: int
    updated_at: datetime
    updated_by: str
    problems: int


class ItemList(BaseModel):
    items: list[ItemSummary]
    #: items matching the filters (``items`` holds at most ``limit`` of them)
    total: int


class VersionOut(BaseModel):
    """One publication of the catalogue."""

    version: int
    published_at: datetime
    published_by: str
    blob_sha256: str
    size: int
    items: int
    sample: bool
    note: str
    #: the one the kiosks are told to hold
    current: bool


class VersionList(BaseModel):
    versions: list[VersionOut]


class ImportOut(BaseModel):
    """What an import changed (it changed nothing if it answered an error)."""

    mode: ImportMode
    departments: int
    themes: int
    created: int
    updated: int
    deleted: int
    #: items saved but not publishable yet (their problems), by code
    problems: dict[str, list[str]]
