"""The catalogue's working copy as one file document (JSON as it is; Excel through
``catalogue_xlsx_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from protocols.guide import Department, Item, Theme

Format = Literal["json", "xlsx"]
FORMAT_NAME = "kfleet-guide/1"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Problems = list[tuple[list[str | int], str]]


class GuideDocument(BaseModel):
    """The working copy as a file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: Literal["kfleet-guide/1"] = "kfleet-guide/1"
    exported_at: AwareDatetime | None = None
    #: every item of the file is sample data (the sample catalogue), shown as such
    sample: bool = False
    departments: list[Department] = []
    themes: list[Theme] = []
    items: list[Item] = []
    #: codes of items that stay out of publications
    drafts: list[str] = []
    #: accepted (and ignored) so a published catalogue imports as it is
    version: int | None = None
    published_at: AwareDatetime | None = None
