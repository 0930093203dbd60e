"""What can be saved of a corrupt job journal, so at-most-once survives a damaged file.

SQLite often cannot read a damaged table past its first broken page, yet the bytes of the
later rows are still in the file. Every row holds its last ack as JSON
(``{"subject":"job","job_id":…,"state":…,"attempt":…}``), so those acks are searched for in
the raw bytes of the set-aside file (and its WAL). For each job found, the most advanced copy
(highest attempt, then a final state over ``running`` over ``accepted``; stale copies of
older versions of a row linger in free space) is kept:

- a final ack (succeeded, failed, …) is restored as it was: a duplicate command is answered
  with it and does not run the job again;
- a job last seen ``accepted`` or ``running`` is restored as ``running``, which the runner's
  recovery reports ``uncertain`` at startup: it may have printed, an operator decides.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from pydantic import ValidationError

from protocols.jobs import AckState
from protocols.messages import AckBody

_ACK_START = re.compile(r'\{"subject":"job","job_id":')
_RANK = {AckState.ACCEPTED: 0, AckState.RUNNING: 1}
_FINAL_RANK = 2


def scan_acks(path: Path) -> dict[str, AckBody]:
    """The most advanced ack found for each job in the raw bytes of ``path`` and its WAL."""
    best: dict[str, AckBody] = {}
    for part in (path, Path(f"{path}-wal")):
        try:
            text = part.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
        for ack in _acks_in(text):
            kept = best.get(ack.job_id)
            if kept is None or _rank(ack) > _rank(kept):
                best[ack.job_id] = ack
    return best


def _acks_in(text: str) -> list[AckBody]:
    decoder = json.JSONDecoder()
    found = []
    for match in _ACK_START.finditer(text):
        try:
            value, _ = decoder.raw_decode(text, match.start())
            found.append(AckBody.model_validate(value))
        except (ValueError, ValidationError):  # torn by the damage: not a whole ack
            continue
    return found


def _rank(ack: AckBody) -> tuple[int, int]:
    return ack.attempt, _RANK.get(ack.state, _FINAL_RANK)


def is_final(ack: AckBody) -> bool:
    return ack.state not in _RANK
