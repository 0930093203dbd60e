"""Short constructors for the sample catalogue (``cloud.kiosk.guide_sample``): the item
modules read like the printed 办事指南 instead of like nested model calls."""

from __future__ import annotations

from typing import Any, Literal

from protocols.guide import Form, Item, Material, Option, Question, ReviewPoint, SubMaterial

HHL = "qh/hx/golmud/hhl"
TGLS = "qh/hx/golmud/tgls"
BAYI = "qh/hx/golmud/bayi"
PILOTS = [HHL, TGLS, BAYI]

#: the pilot halls' windows by queue (``cloud.hall.seed``): general business, social and
#: medical insurance, real estate
GENERAL = {HHL: ["1", "2"], TGLS: ["1"], BAYI: ["1"]}
SOCIAL = {HHL: ["3", "4"], TGLS: ["2"]}
ESTATE = {HHL: ["5"]}
PHONE = "0979-8412345"
PLACE = "各便民服务中心综合受理窗口"

#: one alternative of a ``when``: every named question answered with the named option
Alt = dict[str, str]


def sub(name: str, note: str = "") -> SubMaterial:
    return SubMaterial(name=name, note=note)


def mat(
    code: str,
    name: str,
    name_en: str = "",
    *,
    form: Literal["original", "copy", "original_and_copy", "electronic"] = "original",
    copies: int = 1,
    required: bool = True,
    note: str = "",
    subs: list[SubMaterial] | None = None,
    when: list[Alt] | None = None,
) -> Material:
    return Material(
        code=code,
        name=name,
        name_en=name_en,
        form=form,
        copies=copies,
        required=required,
        note=note,
        sub=subs or [],
        when=when or [],
    )


def id_card(when: list[Alt] | None = None) -> Material:
    """The applicant's 居民身份证, asked for by nearly every item."""
    return mat("id_card", "申请人居民身份证", "Applicant's resident ID card", when=when)


def hukou_book(when: list[Alt] | None = None) -> Material:
    return mat("hukou_book", "居民户口簿", "Household register booklet", when=when)


def proxy(question: str = "who") -> list[Material]:
    """What an agent (代办人) brings when ``question`` was answered ``agent``."""
    w = [{question: "agent"}]
    return [
        mat(
            "power_of_attorney",
            "授权委托书",
            "Power of attorney",
            note="申请人签字或按手印；无民事行为能力人由监护人委托",
            when=w,
        ),
        mat("agent_id", "代办人居民身份证", "Agent's ID card", when=w),
    ]


def who() -> Question:
    """Who comes to the window: the applicant or an agent."""
    return q(
        "who",
        "由谁来办理？",
        "Who is applying?",
        ("self", "本人办理", "The applicant in person"),
        ("agent", "委托他人代办", "An agent on the applicant's behalf"),
    )


def q(
    code: str,
    text: str,
    text_en: str,
    *options: tuple[str, str, str],
    when: list[Alt] | None = None,
) -> Question:
    return Question(
        code=code,
        text=text,
        text_en=text_en,
        options=[Option(code=c, label=zh, label_en=en) for c, zh, en in options],
        when=when or [],
    )


def form(code: str, name: str, when: list[Alt] | None = None, template: str = "") -> Form:
    """``template``: the e-form (``SEED_FORMS``) the kiosk fills for it (issue 15)."""
    return Form(code=code, name=name, when=when or [], template=template)


def rp(text: str, when: list[Alt] | None = None) -> ReviewPoint:
    return ReviewPoint(text=text, when=when or [])


def item(code: str, name: str, name_en: str, department: str, **fields: Any) -> Item:
    """An item with the pilots' defaults: handled at the general windows of every pilot
    site, answered on the hall's phone."""
    fields.setdefault("windows", GENERAL)
    fields.setdefault("phone", PHONE)
    fields.setdefault("place", PLACE)
    return Item(code=code, name=name, name_en=name_en, department=department, **fields)
