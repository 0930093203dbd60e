"""The shipped e-forms: each definition usable (the console would publish it), each template
the sample catalogue's items name is one of them, and ``current_form`` falls back to them."""

from __future__ import annotations

from types import SimpleNamespace

from cloud.kiosk.forms_seed import SEED_FORMS, current_form
from cloud.kiosk.forms_service import usable_problems
from cloud.kiosk.guide_sample import sample_items


def test_every_shipped_form_is_usable_and_codes_are_unique() -> None:
    assert {f.code: usable_problems(f) for f in SEED_FORMS} == {f.code: [] for f in SEED_FORMS}
    assert len({f.code for f in SEED_FORMS}) == len(SEED_FORMS)


def test_the_sample_catalogues_templates_are_shipped_forms() -> None:
    templates = {f.template for i in sample_items() for f in i.forms if f.template}
    assert "pension-enrol" in templates
    assert templates <= {f.code for f in SEED_FORMS}


async def test_current_form_falls_back_to_the_shipped_one() -> None:
    form = await current_form(SimpleNamespace(), "personal-info")
    assert form is not None and form.version == 1
    assert await current_form(SimpleNamespace(), "no-such-form") is None
