"""The sample catalogue is a valid catalogue the console would publish: every item passes
``fleet.guide.problems``, names a known department and themes, and the items the seed names
are there; its situations really change what a citizen brings."""

from __future__ import annotations

from cloud.hall.seed import PILOT_HALLS
from cloud.kiosk.guide_sample import sample_catalogue
from fleet.guide import applicable, problems
from protocols.guide import Catalogue

SEED_ITEMS = {
    "退役军人组织关系转移",
    "退役军人落户",
    "退役军人待遇申领",
    "高龄补贴申领",
}
#: the common town and village kinds of business the issue lists, by a word of their names
COMMON = [
    "出生登记",
    "户口迁入",
    "养老保险",
    "医疗保险",
    "低保",
    "残疾人",
    "生育",
    "老年人优待",
    "农村",
]
PILOTS = {"qh/hx/golmud/hhl", "qh/hx/golmud/tgls", "qh/hx/golmud/bayi"}


def test_the_sample_is_marked_as_sample_and_survives_a_json_round_trip() -> None:
    cat = sample_catalogue()
    assert cat.sample is True and cat.version == 1
    again = Catalogue.model_validate_json(cat.model_dump_json())
    assert again == cat


def test_every_item_is_free_of_problems_and_codes_are_unique() -> None:
    cat = sample_catalogue()
    assert len(cat.items) >= 30
    assert [p for i in cat.items for p in problems(i)] == []
    codes = [i.code for i in cat.items]
    assert len(set(codes)) == len(codes)


def test_departments_themes_and_windows_are_known() -> None:
    cat = sample_catalogue()
    departments = {d.code for d in cat.departments}
    themes = {t.code for t in cat.themes}
    for i in cat.items:
        assert i.department in departments, i.code
        assert set(i.themes) <= themes and i.themes, i.code
        assert set(i.windows) <= PILOTS and i.windows, i.code
        assert set(i.sites) <= set(i.windows) or not i.sites, i.code
        assert i.service and i.materials and i.conditions and i.legal_basis, i.code
    used = {i.department for i in cat.items}
    assert used == departments, "a department without items is noise on the kiosk's chips"
    assert {t for i in cat.items for t in i.themes} == themes
    assert set().union(*(i.windows for i in cat.items)) == PILOTS


def test_the_seed_items_and_the_common_town_items_are_there() -> None:
    names = [i.name for i in sample_catalogue().items]
    assert set(names) >= SEED_ITEMS
    for word in COMMON:
        assert any(word in n for n in names), word


def test_situations_change_materials_and_vague_clauses_have_sub_materials() -> None:
    items = sample_catalogue().items
    changing = 0
    for i in items:
        if not i.questions:
            continue
        first = i.questions[0]
        lists = {
            tuple(m.code for m in applicable(i, {first.code: o.code}).materials)
            for o in first.options
        }
        changing += len(lists) > 1
    assert changing >= 10
    assert sum(any(m.sub for m in i.materials) for i in items) >= 15
    assert sum(bool(i.review_points) for i in items) == len(items)


def test_the_elderly_allowance_asks_for_age_proof_only_for_a_centenarian() -> None:
    item = next(i for i in sample_catalogue().items if i.code == "CA-ELDER-ALLOWANCE")
    at = {
        age: [m.code for m in applicable(item, {"age": age, "who": "self"}).materials]
        for age in ("80", "100")
    }
    assert "age_check" in at["100"] and "age_check" not in at["80"]
    agent = applicable(item, {"age": "80", "who": "agent"})
    assert {"power_of_attorney", "agent_id"} <= {m.code for m in agent.materials}
    assert agent.unanswered == []


def test_each_item_is_queued_for_a_service_every_site_of_its_windows_offers() -> None:
    """A citizen who reads the guide takes a ticket or books for ``item.service``: the
    pilots' halls (``cloud.hall.seed``) must offer it wherever the item is handled."""
    offered = {
        hall.site: {code for queue in hall.queues for code, _, _ in queue.services}
        for hall in PILOT_HALLS
    }
    windows = {hall.site: {w.number for w in hall.windows} for hall in PILOT_HALLS}
    for item in sample_catalogue().items:
        for site, numbers in item.windows.items():
            assert item.service in offered[site], (item.code, site)
            assert set(numbers) <= windows[site], (item.code, site)
