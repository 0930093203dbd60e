"""fleet.reconcile: every line of both sides ends in one finding; differences are named."""

from __future__ import annotations

from fleet.reconcile import Entry, reconcile


def pay(no: str, fen: int, order: str = "") -> Entry:
    return Entry(no, "pay", fen, order_id=order)


def refund(no: str, refund_no: str, fen: int) -> Entry:
    return Entry(no, "refund", fen, out_refund_no=refund_no)


def test_the_same_lines_match_and_are_clean() -> None:
    ledger = [pay("A1", 1200, "o1"), pay("A2", 300, "o2"), refund("A2", "R1", 100)]
    statement = [refund("A2", "R1", 100), pay("A2", 300), pay("A1", 1200)]
    result = reconcile(ledger, statement)
    assert result.clean
    assert result.counts == {"matched": 3}
    assert result.ledger.net_fen == result.statement.net_fen == 1400


def test_a_planted_amount_difference_is_found() -> None:
    result = reconcile([pay("A1", 1200, "o1"), pay("A2", 300)], [pay("A1", 1210), pay("A2", 300)])
    (bad,) = result.mismatches
    assert (bad.outcome, bad.out_trade_no, bad.ledger_fen, bad.statement_fen, bad.order_id) == (
        "amount_differs",
        "A1",
        1200,
        1210,
        "o1",
    )


def test_missing_on_either_side() -> None:
    result = reconcile([pay("A1", 100), pay("A2", 200)], [pay("A1", 100), pay("B9", 700)])
    outcomes = {(f.outcome, f.out_trade_no) for f in result.mismatches}
    assert outcomes == {("missing_in_statement", "A2"), ("missing_in_ledger", "B9")}
    assert result.counts["matched"] == 1


def test_a_refund_only_the_bank_knows_is_a_state_difference() -> None:
    result = reconcile([pay("A1", 100)], [pay("A1", 100), refund("A1", "R7", 100)])
    (bad,) = result.mismatches
    assert (bad.outcome, bad.kind, bad.out_refund_no, bad.statement_fen) == (
        "state_differs",
        "refund",
        "R7",
        100,
    )
    assert result.statement.net_fen == 0 and result.ledger.net_fen == 100


def test_a_line_recorded_twice_is_an_extra_line() -> None:
    result = reconcile([pay("A1", 100), pay("A1", 100)], [pay("A1", 100)])
    assert result.counts == {"matched": 1, "state_differs": 1}


def test_every_line_is_accounted_for() -> None:
    ledger = [pay(f"A{n}", n * 10) for n in range(20)] + [refund("A3", "R1", 5)]
    statement = [pay(f"A{n}", n * 10 + (n % 7 == 0)) for n in range(5, 25)]
    result = reconcile(ledger, statement)
    assert sum(result.counts.values()) == len(result.findings)
    paired = sum(
        1 for f in result.findings if f.ledger_fen is not None and f.statement_fen is not None
    )
    assert len(result.findings) == len(ledger) + len(statement) - paired
