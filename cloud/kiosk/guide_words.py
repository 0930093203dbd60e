"""The guide's fixed words in zh-CN and English, shared by the printed guide and the public
page so both say the same."""

from __future__ import annotations

#: 办事对象
OBJECTS = {
    "person": ("个人", "Individuals"),
    "legal_person": ("法人", "Organisations"),
    "both": ("个人、法人", "Individuals and organisations"),
}
#: the form a material is brought in
FORMS = {
    "original": ("原件", "Original"),
    "copy": ("复印件", "Copy"),
    "original_and_copy": ("原件和复印件", "Original and copy"),
    "electronic": ("电子材料", "Electronic"),
}


def days(n: int) -> str:
    """A time limit in working days; 0 is 即办 (done on the spot)."""
    return "即办（当场办结）" if n == 0 else f"{n}个工作日"


def days_en(n: int) -> str:
    return "On the spot" if n == 0 else f"{n} working day{'s' if n != 1 else ''}"
