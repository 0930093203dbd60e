"""The e-forms the project ships (the 青海省高龄补贴登记表, the self-service applications'
forms...): each feature that fills a form adds its definition here, and the form service
(``cloud/kiosk/forms_*.py``) offers it until the console publishes a version of its own.

:func:`current_form` is how a flow reads a form: the published version when there is one,
else the shipped one.
"""

from __future__ import annotations

from typing import Any

from cloud.kiosk import apply_forms
from cloud.kiosk.elderly_form import ELDERLY_FORM
from cloud.kiosk.forms_samples import PENSION_ENROL, PERSONAL_INFO
from protocols.eform import FormDef

#: one entry per shipped form (a feature adds its own line)
SEED_FORMS: list[FormDef] = [
    ELDERLY_FORM,  # elderly: 青海省高龄补贴登记表
    apply_forms.GENERAL,  # 自助申报 (apply): any item without a form of its own
    apply_forms.PENSION_CLAIM,  # 自助申报 (apply): SI-PENSION-CLAIM
    PERSONAL_INFO,  # forms: 个人信息登记表
    PENSION_ENROL,  # forms: 城乡居民基本养老保险参保登记表 (sample item pension-enrol)
]


def seed_form(code: str) -> FormDef | None:
    return next((f for f in SEED_FORMS if f.code == code), None)


async def current_form(kiosk: Any, code: str) -> FormDef | None:
    """The form ``code`` as citizens fill it now: the form service's current version (when the
    app has one: ``kiosk.forms``), else the shipped definition; None when neither knows it."""
    service = getattr(kiosk, "forms", None)
    if service is not None:
        form: FormDef | None = await service.current(code)
        if form is not None:
            return form
    return seed_form(code)
