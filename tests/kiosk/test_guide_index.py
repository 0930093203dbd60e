"""The kiosk's offline guide search: Chinese text, full pinyin and initials over names,
keywords, departments and themes; filters by object, theme and department; ranking exact >
prefix > initials > substring, this site's items first among equals."""

from __future__ import annotations

from edge_agent.kiosk.guide_index import build_index, pinyin_keys, search
from tests.kiosk.guide_agent_kit import SITE_A, catalogue


def codes(q: str, **kw: str) -> list[str]:
    index = build_index(catalogue())
    return [h.entry.item.code for h in search(index, q, site=SITE_A, **kw)]


def test_pinyin_keys_of_a_name() -> None:
    assert pinyin_keys("住房公积金") == ("zhufanggongjijin", "zfgjj")
    assert pinyin_keys("ID卡 2代") == ("idka2dai", "idk2d")


def test_initials_find_the_fund() -> None:
    assert codes("gjj") == ["GJJ-001", "GJJ-020"]


def test_full_pinyin_and_chinese_find_the_same() -> None:
    assert codes("gongjijin") == codes("公积金") == ["GJJ-001", "GJJ-020"]
    index = build_index(catalogue())
    tiers = {h.entry.item.code: h.tier for h in search(index, "gongjijin")}
    assert tiers == {"GJJ-001": 0, "GJJ-020": 3}  # a keyword's pinyin; inside a name's
    by_name = [(h.entry.item.code, h.tier) for h in search(index, "zhufang")]
    assert by_name == [("GJJ-001", 1), ("GJJ-020", 3)]  # 住房… name; its department's name


def test_query_is_normalised_full_width_case_and_spaces() -> None:
    assert codes("ＧＪＪ") == codes(" GJJ\t") == codes("gjj")


def test_ranking_exact_before_prefix_before_initials_before_substring() -> None:
    index = build_index(catalogue())
    # 落户: a keyword of TY-002 (exact); 户口迁移 has 户 (substring only)
    hits = search(index, "落户", site=SITE_A)
    assert [(h.entry.item.code, h.tier) for h in hits] == [("TY-002", 0)]
    hits = search(index, "hk", site=SITE_A)  # initials of 户口迁移 (hkqy)
    assert [(h.entry.item.code, h.tier) for h in hits] == [("GA-003", 2)]
    tiers = {h.entry.item.code: h.tier for h in search(index, "gao", site=SITE_A)}
    assert tiers == {"MZ-010": 1}  # gaolingbutie: pinyin prefix
    tiers = {h.entry.item.code: h.tier for h in search(index, "户", site=SITE_A)}
    assert tiers["TY-002"] == 3 and tiers["GA-003"] == 1  # 落户 contains it; 户口迁移 starts


def test_departments_and_themes_are_searched() -> None:
    assert codes("民政") == ["MZ-010"]
    assert set(codes("yanglao")) == {"MZ-010"}  # the theme 养老 in pinyin
    assert set(codes("huji")) == {"TY-002", "GA-003"}  # the theme 户籍


def test_several_words_must_all_match() -> None:
    assert codes("公积金 单位") == ["GJJ-020"]
    assert codes("公积金 落户") == []


def test_filters_by_object_theme_and_department() -> None:
    assert set(codes("", object="legal_person")) == {"GJJ-020", "GA-003"}
    assert "GJJ-020" not in codes("", object="person")
    assert "GA-003" in codes("", object="person")  # both
    assert set(codes("", theme="hj")) == {"TY-002", "GA-003"}
    assert codes("gjj", department="gjj", object="person") == ["GJJ-001"]


def test_items_of_this_site_come_first_among_equals() -> None:
    index = build_index(catalogue())
    hits = search(index, "", site=SITE_A)
    here = [h.here for h in hits]
    assert here == sorted(here, reverse=True)  # every True before any False
    assert {h.entry.item.code for h in hits if not h.here} == {"MZ-010"}
    elsewhere = search(index, "", site="qh/other")  # 退役军人落户 is offered at SITE_A only
    assert elsewhere[-1].entry.item.code == "TY-002" and not elsewhere[-1].here


def test_an_empty_catalogue_finds_nothing() -> None:
    empty = catalogue().model_copy(update={"items": []})
    assert search(build_index(empty), "gjj") == []
    assert search(build_index(empty), "") == []


def test_nothing_matches_nonsense() -> None:
    assert codes("zzzzqqq") == []
    assert codes("\x00") == codes("") != []
