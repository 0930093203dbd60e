"""fleet.reconcile over random days: every line of both sides lands in exactly one finding, a
day compared with itself is clean, and one changed amount is always found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from fleet.reconcile import Entry, reconcile

entries = st.lists(
    st.builds(
        Entry,
        out_trade_no=st.sampled_from([f"KF{n}" for n in range(8)]),
        kind=st.sampled_from(["pay", "refund"]),
        amount_fen=st.integers(1, 10_000),
        out_refund_no=st.sampled_from(["", "R1", "R2"]),
    ),
    max_size=30,
)


@given(entries, entries)
def test_every_line_lands_in_one_finding(ledger: list[Entry], statement: list[Entry]) -> None:
    result = reconcile(ledger, statement)
    both = sum(
        1 for f in result.findings if f.ledger_fen is not None and f.statement_fen is not None
    )
    assert len(result.findings) == len(ledger) + len(statement) - both
    assert sum(result.counts.values()) == len(result.findings)
    assert sorted(f.ledger_fen for f in result.findings if f.ledger_fen is not None) == sorted(
        e.amount_fen for e in ledger
    )


@given(entries, st.integers(0, 29), st.integers(1, 500))
def test_a_day_against_itself_is_clean_and_one_change_is_found(
    day: list[Entry], which: int, delta: int
) -> None:
    assert reconcile(day, list(reversed(day))).clean
    if day:
        n = which % len(day)
        changed = list(day)
        e = changed[n]
        changed[n] = Entry(e.out_trade_no, e.kind, e.amount_fen + delta, e.out_refund_no)
        assert not reconcile(day, changed).clean
