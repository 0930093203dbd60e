"""The service guide (办事指南) as the cloud publishes it and the kiosk reads it.

The model follows the provincial 事项精细化梳理: an **item** (事项) says who handles it, for whom,
how long it takes, what it costs, where to go, the conditions (受理条件), the materials (要件材料,
each with 二级材料 that spell out a vague clause), the forms, the legal basis and, for staff,
the review points (审查要点). An item's **situations** (办理情形) are questions whose answers
select which materials, forms and review points apply: ``when`` on a material, form, review
point or question is a list of alternatives, each a set of ``question → option`` that must all
hold; an empty ``when`` always holds (``fleet.guide.applicable`` decides).

A published catalogue is one JSON document (:class:`Catalogue`), stored as a blob and
announced to each site as retained ``catalogue`` content (:class:`CatalogueBody`, protocol
§18): the kiosk fetches the blob with its own credentials, checks the sha256 and searches it
offline.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt

__all__ = [
    "CATALOGUE",
    "CODE_RE",
    "Catalogue",
    "CatalogueBody",
    "CatalogueRef",
    "Department",
    "Form",
    "Item",
    "Material",
    "Option",
    "Question",
    "ReviewPoint",
    "SubMaterial",
    "Theme",
    "When",
]

#: the retained content name under ``kf/v1/site/{path}/`` that announces the catalogue
CATALOGUE = "catalogue"
#: item, material, form, question and option codes: letters, digits, ``_`` and ``-``
CODE_RE = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"

#: text a catalogue may hold: no control characters but tab and line breaks (a NUL cannot be
#: stored, and an Excel export cannot carry the others)
PLAIN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
#: a site path (``qh/hx/golmud/hhl``) and a window number (``3``, ``A-1``)
SITE_PATH = r"^[a-z0-9][a-z0-9_-]{0,31}(/[a-z0-9][a-z0-9_-]{0,31}){0,4}$"
WINDOW_NO = r"^[0-9A-Za-z-]{1,8}$"
#: keys outside a dict's key pattern are invalid (JSON Schema would allow them otherwise)
CLOSED = {"additionalProperties": False}

Code = Annotated[str, Field(pattern=CODE_RE)]
Name = Annotated[str, Field(min_length=1, max_length=120, pattern=PLAIN)]
Text = Annotated[str, Field(max_length=2000, pattern=PLAIN)]
#: alternatives, each a conjunction ``question code → option code`` (empty list: always)
When = list[Annotated[dict[Code, Code], Field(json_schema_extra=CLOSED)]]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Department(_Doc):
    code: Code
    name: Name
    name_en: Annotated[str, Field(max_length=120, pattern=PLAIN)] = ""


class Theme(_Doc):
    code: Code
    name: Name
    name_en: Annotated[str, Field(max_length=120, pattern=PLAIN)] = ""


class SubMaterial(_Doc):
    """A 二级材料: what a vague clause of a material means in practice."""

    name: Name
    note: Text = ""


class Material(_Doc):
    code: Code
    name: Name
    name_en: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""
    #: 原件 (original), 复印件 (copy), 电子 (electronic)
    form: Literal["original", "copy", "original_and_copy", "electronic"] = "original"
    copies: Annotated[StrictInt, Field(ge=0, le=20)] = 1
    required: StrictBool = True
    note: Text = ""
    sub: list[SubMaterial] = []
    when: When = []


class Form(_Doc):
    """A form (表单) the citizen fills in; ``template`` names the form of the self-service
    application (issue 15) when the kiosk can fill it, else it is printed blank."""

    code: Code
    name: Name
    template: Annotated[str, Field(max_length=40, pattern=PLAIN)] = ""
    when: When = []


class ReviewPoint(_Doc):
    """A 审查要点 for the clerk at the window (shown in the console and printed guide only)."""

    text: Text
    when: When = []


class Option(_Doc):
    code: Code
    label: Name
    label_en: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""


class Question(_Doc):
    code: Code
    text: Name
    text_en: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""
    options: Annotated[list[Option], Field(min_length=2, max_length=8)]
    #: shown only when these answers were given (a follow-up question)
    when: When = []


class Item(_Doc):
    """One 事项 and everything a citizen needs before going to the window."""

    code: Code
    name: Name
    name_en: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""
    department: Code
    #: 办事对象: 个人 (person), 法人 (legal person), or both
    object: Literal["person", "legal_person", "both"] = "person"
    themes: list[Code] = []
    #: 承诺时限 in working days (0: on the spot, 即办)
    time_limit_days: Annotated[StrictInt, Field(ge=0, le=365)] = 0
    legal_limit_days: Annotated[StrictInt, Field(ge=0, le=365)] = 0
    fees: Annotated[str, Field(max_length=200, pattern=PLAIN)] = "不收费"
    phone: Annotated[str, Field(max_length=40, pattern=PLAIN)] = ""
    place: Annotated[str, Field(max_length=200, pattern=PLAIN)] = ""
    #: window numbers at each site where it is handled (``site path → ["3", "4"]``)
    windows: Annotated[
        dict[
            Annotated[str, Field(pattern=SITE_PATH)],
            list[Annotated[str, Field(pattern=WINDOW_NO)]],
        ],
        Field(json_schema_extra=CLOSED),
    ] = {}
    #: sites (paths) that offer it; empty: every site
    sites: list[Annotated[str, Field(pattern=SITE_PATH)]] = []
    conditions: list[Text] = []
    materials: list[Material] = []
    forms: list[Form] = []
    questions: list[Question] = []
    review_points: list[ReviewPoint] = []
    legal_basis: list[Text] = []
    #: the queue service code a citizen takes a ticket or books an appointment for
    service: Annotated[str, Field(max_length=32, pattern=PLAIN)] = ""
    keywords: list[Annotated[str, Field(max_length=40, pattern=PLAIN)]] = []


class Catalogue(_Doc):
    """The whole published catalogue (the blob a :class:`CatalogueBody` names)."""

    version: Annotated[int, Field(ge=1)]
    published_at: AwareDatetime
    #: True while it is the project's sample data, shown as such on every screen
    sample: StrictBool = False
    departments: list[Department]
    themes: list[Theme]
    items: list[Item]


class CatalogueRef(_Doc):
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, Field(ge=2, le=64 * 1024 * 1024)]
    media_type: Literal["application/json"] = "application/json"


class CatalogueBody(_Doc):
    """Retained ``catalogue`` content: which catalogue document a site's kiosks should hold."""

    kind: Literal["catalogue"] = "catalogue"
    site: Annotated[str, Field(max_length=200, pattern=PLAIN)]
    version: Annotated[int, Field(ge=1)]
    published_at: AwareDatetime
    blob: CatalogueRef
    items: Annotated[int, Field(ge=0)]
    sample: StrictBool = False
