"""Finding resident ID numbers in free text (``protocols.idcard.pii``): every valid number is
found wherever it hides, and ordinary numbers are left alone."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from protocols.idcard import id_check_digit
from protocols.idcard.pii import find_id_numbers, mask_id_numbers


def _id(born: date, seq: int, area: str = "632801") -> str:
    first17 = f"{area}{born:%Y%m%d}{seq:03d}"
    return first17 + id_check_digit(first17)


born_dates = st.dates(date(1900, 1, 1), date(2025, 12, 31))
seqs = st.integers(0, 999)
areas = st.sampled_from(["632801", "110101", "440305", "542621"])
# text around a number: anything but digits and X right next to it
filler = st.text(
    st.characters(blacklist_characters="0123456789Xx０１２３４５６７８９Ｘｘ"), max_size=30
)


@given(born_dates, seqs, areas, filler, filler)
def test_every_valid_id_number_is_found_and_masked(
    born: date, seq: int, area: str, before: str, after: str
) -> None:
    number = _id(born, seq, area)
    masked, hits = mask_id_numbers(before + number + after)
    assert [h.form for h in hits] == ["id_number_18"]
    assert masked == before + number[:4] + "*" * 10 + number[-4:] + after
    assert number not in masked and number[6:14] not in masked


@given(born_dates, seqs, st.text("0123456789", max_size=8), st.text("0123456789", max_size=8))
def test_an_id_number_inside_a_longer_run_of_digits_is_found(
    born: date, seq: int, before: str, after: str
) -> None:
    number = _id(born, seq)
    if number.endswith("X") and after:
        return  # an X ends a number: "…X123" is no run of digits
    masked, hits = mask_id_numbers(before + number + after)
    assert hits and number not in masked


def test_the_forms_a_number_may_take() -> None:
    x = "63280120040229057X"
    assert mask_id_numbers(f"no {x}")[0] == "no 6328**********057X"
    assert mask_id_numbers(x.lower())[0] == "6328**********057x"
    full_width = "６３２８０１１９８８０５１２０１３７"
    masked, [hit] = mask_id_numbers(f"号码{full_width}。")
    assert hit.form == "id_number_18" and masked == "号码６３２８**********０１３７。"
    legacy = "632801880512013"  # 15 digits, born 1988-05-12
    assert [h.form for h in find_id_numbers(f"旧证 {legacy}")] == ["id_number_15"]
    two = mask_id_numbers("632801198805120137,632801196511030241")[0]
    assert two == "6328**********0137,6328**********0241"


def test_ordinary_numbers_are_left_alone() -> None:
    right = "632801198805120137"
    wrong_check = right[:17] + "8"
    bad_date = "632801198813450137"
    for text in (
        wrong_check,
        bad_date[:17] + id_check_digit(bad_date[:17]),
        "1796539960702",  # a timestamp in ms
        "6328011988051201",  # 16 digits
        "632801881345013",  # 15 digits, no real date
        "0328018805120130",
        "case QH-2026-0815",
        "6328**********0137",  # masked already
    ):
        assert find_id_numbers(text) == [], text
    # a 15-digit window inside a longer number is not taken for a legacy number
    assert find_id_numbers("16" + "632801880512013") == []


def test_a_century_of_birth_dates() -> None:
    day = date(1900, 1, 1)
    while day.year < 2026:
        assert find_id_numbers(_id(day, 123))
        day += timedelta(days=97)
