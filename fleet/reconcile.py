"""Daily reconciliation (对账): our orders' ledger for one channel and day against the
gateway's statement file for that day. Pure: the cloud reads both sides and stores what this
says (``cloud/kiosk/pay/reconcile*.py``).

A line is keyed by (our order number, pay or refund, the refund's number). Each key is:

- ``matched``: on both sides with the same amount;
- ``amount_differs``: on both sides, amounts differ;
- ``state_differs``: on one side only, but the trade itself is on the other side with another
  history (refunded at the bank and not with us, or the other way round);
- ``missing_in_statement``: we recorded it, the gateway has no trace of the trade that day
  (we would deliver a service nobody paid for);
- ``missing_in_ledger``: the gateway took (or returned) money for a trade we have no line of
  (a citizen paid and got nothing: the notify was lost, or the order never recorded it).

Every line of both sides ends in exactly one finding, so a planted difference always shows.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

LineKind = Literal["pay", "refund"]
Outcome = Literal[
    "matched", "amount_differs", "state_differs", "missing_in_statement", "missing_in_ledger"
]
MISMATCHES: tuple[Outcome, ...] = (
    "amount_differs",
    "state_differs",
    "missing_in_statement",
    "missing_in_ledger",
)


@dataclass(frozen=True)
class Entry:
    """One payment or refund as one side reports it (amounts in fen)."""

    out_trade_no: str
    kind: LineKind
    amount_fen: int
    out_refund_no: str = ""
    trade_no: str = ""
    #: our order's id (ledger side only)
    order_id: str = ""

    @property
    def key(self) -> tuple[str, LineKind, str]:
        return (self.out_trade_no, self.kind, self.out_refund_no)


@dataclass(frozen=True)
class Finding:
    outcome: Outcome
    out_trade_no: str
    kind: LineKind
    out_refund_no: str
    ledger_fen: int | None
    statement_fen: int | None
    order_id: str = ""
    trade_no: str = ""


@dataclass(frozen=True)
class Totals:
    """Counts and sums of one side (refunds counted positive in ``refunds_fen``)."""

    lines: int = 0
    paid_fen: int = 0
    refunds_fen: int = 0

    @property
    def net_fen(self) -> int:
        return self.paid_fen - self.refunds_fen


@dataclass(frozen=True)
class Reconciliation:
    findings: list[Finding]
    ledger: Totals
    statement: Totals
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def mismatches(self) -> list[Finding]:
        return [f for f in self.findings if f.outcome != "matched"]

    @property
    def clean(self) -> bool:
        return not self.mismatches


def totals(entries: Iterable[Entry]) -> Totals:
    lines = paid = refunds = 0
    for entry in entries:
        lines += 1
        if entry.kind == "pay":
            paid += entry.amount_fen
        else:
            refunds += entry.amount_fen
    return Totals(lines, paid, refunds)


def _by_key(entries: Iterable[Entry]) -> dict[tuple[str, LineKind, str], list[Entry]]:
    grouped: dict[tuple[str, LineKind, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        grouped[entry.key].append(entry)
    return grouped


def _pair(ledger: Entry | None, statement: Entry | None, other_side_trades: set[str]) -> Finding:
    line = ledger or statement
    assert line is not None
    outcome: Outcome
    if ledger is not None and statement is not None:
        same = ledger.amount_fen == statement.amount_fen
        outcome = "matched" if same else "amount_differs"
    elif line.out_trade_no in other_side_trades:
        outcome = "state_differs"
    else:
        outcome = "missing_in_statement" if ledger is not None else "missing_in_ledger"
    return Finding(
        outcome,
        line.out_trade_no,
        line.kind,
        line.out_refund_no,
        ledger.amount_fen if ledger else None,
        statement.amount_fen if statement else None,
        ledger.order_id if ledger else "",
        (statement or line).trade_no,
    )


def _pairs(left: list[Entry], right: list[Entry]) -> list[tuple[Entry | None, Entry | None]]:
    """Lines of one key paired: equal amounts first (order does not matter), then the rest in
    order (amounts differ), then the extra ones alone."""
    rest = list(right)
    paired: list[tuple[Entry | None, Entry | None]] = []
    unmatched: list[Entry] = []
    for mine in left:
        same = next((i for i, bank in enumerate(rest) if bank.amount_fen == mine.amount_fen), None)
        if same is None:
            unmatched.append(mine)
        else:
            paired.append((mine, rest.pop(same)))
    for n in range(max(len(unmatched), len(rest))):
        paired.append(
            (unmatched[n] if n < len(unmatched) else None, rest[n] if n < len(rest) else None)
        )
    return paired


def reconcile(ledger: list[Entry], statement: list[Entry]) -> Reconciliation:
    """Every line of both sides in one finding, ordered by order number then kind."""
    ours, theirs = _by_key(ledger), _by_key(statement)
    our_trades = {e.out_trade_no for e in ledger}
    their_trades = {e.out_trade_no for e in statement}
    findings: list[Finding] = []
    for key in sorted(set(ours) | set(theirs)):
        for mine, bank in _pairs(ours.get(key, []), theirs.get(key, [])):
            other = their_trades if mine is not None else our_trades
            findings.append(_pair(mine, bank, other if (mine is None or bank is None) else set()))
    counts: Counter[str] = Counter(f.outcome for f in findings)
    return Reconciliation(findings, totals(ledger), totals(statement), dict(counts))
