"""What one ``kfleet provision test ...`` run found: passed, failed (with an exit code that
says why) or nothing to test, as plain data so the text, the JSON and the tests read the
same thing."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

PROBE_HINT = "run `kfleet provision probe` to see what is there"


class Exit(IntEnum):
    """The exit codes of ``kfleet provision test`` (docs/provisioning.md lists them)."""

    OK = 0  # passed, or no such hardware on this machine (nothing to test)
    USAGE = 2  # bad command line, or several candidates and none chosen
    NOT_FOUND = 3  # the device given or configured is not there / cannot be opened
    PAPER_OUT = 4
    COVER_OPEN = 5
    DEVICE_ERROR = 6  # it answered but refused or reported an error (SAM fault, jam...)
    TIMEOUT = 7  # no answer, no press, no card, no frame in time
    GARBLED = 8  # malformed frames or replies, or another kind of device on that port
    LOST = 9  # it went away in the middle of the test (something may have printed)
    NOT_SAVED = 10  # the picture was taken but could not be written to the output file


class TestFailed(Exception):
    """The peripheral did not pass: ``code`` says why, the message what to do."""

    __test__ = False  # not a pytest test class

    def __init__(self, code: Exit, message: str, facts: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.facts = facts or {}


@dataclass(slots=True)
class Outcome:
    """One test: which peripheral, on which device, and what was seen."""

    test: str
    result: str  # pass | fail | no_hardware
    code: Exit
    message: str
    device: str = ""
    #: what the technician sees (status before/after, the key pressed, the masked card...)
    facts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> str:
        body = {
            "test": self.test,
            "result": self.result,
            "exit_code": int(self.code),
            "message": self.message,
            "device": self.device,
            **self.facts,
        }
        return json.dumps(body, ensure_ascii=False, indent=2, default=str)

    def as_text(self) -> str:
        head = {"pass": "PASS", "fail": "FAIL", "no_hardware": "NOTHING TO TEST"}[self.result]
        where = f" on {self.device}" if self.device else ""
        lines = [f"{head} {self.test}{where}: {self.message}"]
        if self.result != "no_hardware":  # its only fact is already in the message
            lines += [f"  {key}: {_text(value)}" for key, value in self.facts.items()]
        if self.code is not Exit.OK:
            lines.append(f"  exit code: {int(self.code)} ({self.code.name.lower()})")
        return "\n".join(lines)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "\n    " + "\n    ".join(str(v) for v in value) if value else "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def passed(test: str, device: str, message: str, facts: dict[str, Any]) -> Outcome:
    return Outcome(test, "pass", Exit.OK, message, device, facts)


def failed(test: str, device: str, err: TestFailed) -> Outcome:
    return Outcome(test, "fail", err.code, str(err), device, err.facts)


def no_hardware(test: str, what: str, looked_for: str) -> Outcome:
    """Nothing of the kind is plugged in: said plainly, exit 0 (the issue's rule)."""
    message = f"no {what} found on this machine (looked for {looked_for}); {PROBE_HINT}"
    return Outcome(test, "no_hardware", Exit.OK, message, facts={"looked_for": looked_for})
