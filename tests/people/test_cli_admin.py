"""``kfleet cloud admin``: the first administrator with a generated (never a default) or a
stdin password, the policy applied, reset-password and unlock — each audited as cli:<user>."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from kfleet.cli import app
from tests.people.kit import FAST

PRINTED = re.compile(r"password for (\S+): (\S+)")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KFLEET_DATA_DIR", str(tmp_path))
    for key, value in FAST.items():
        monkeypatch.setenv(f"KFLEET_{key.upper()}", str(value))
    return tmp_path


def _admin(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["cloud", "admin", *args], input=stdin)
    return result.exit_code, result.output


def _row(data_dir: Path, username: str) -> sqlite3.Row | None:
    with sqlite3.connect(data_dir / "kfleet.db") as db:
        db.row_factory = sqlite3.Row
        cur = db.execute("select * from users where username = ?", (username,))
        row: sqlite3.Row | None = cur.fetchone()
        return row


def _audit(data_dir: Path, action: str) -> list[tuple[str, str]]:
    with sqlite3.connect(data_dir / "kfleet.db") as db:
        q = "select actor, target from audit_log where action = ? order by id"
        return [(a, t) for a, t in db.execute(q, (action,))]


def test_create_generates_and_prints_a_strong_password(data_dir: Path) -> None:
    code, out = _admin("create", "--username", "Root")
    assert code == 0, out
    m = PRINTED.search(out)
    assert m is not None, out
    password = m[2]
    assert len(password) >= 20
    row = _row(data_dir, "root")
    assert row is not None
    assert (row["role"], row["scope"], row["must_change_password"]) == ("administrator", "qh", 1)
    assert PasswordHasher().verify(row["password_hash"], password)
    assert _audit(data_dir, "user.create")[0][0].startswith("cli:")
    # no default: a second administrator gets another password
    code, out2 = _admin("create", "--username", "root2")
    second = PRINTED.search(out2)
    assert second is not None and second[2] != password


def test_create_with_password_on_stdin_applies_the_policy(data_dir: Path) -> None:
    code, out = _admin("create", "--username", "root", "--password-stdin", stdin="short\n")
    assert code != 0 and "at least 10" in out
    assert _row(data_dir, "root") is None  # nothing half-done
    code, out = _admin("create", "--username", "root", "--password-stdin", stdin="")
    assert code == 2 and "stdin is empty" in out
    good = "a long and private phrase"
    code, out = _admin("create", "--username", "root", "--password-stdin", stdin=good + "\n")
    assert code == 0 and good not in out
    row = _row(data_dir, "root")
    assert row is not None and PasswordHasher().verify(row["password_hash"], good)
    assert row["must_change_password"] == 0
    code, out = _admin("create", "--username", "root")
    assert code == 3 and "exists already" in out


def test_reset_password_and_unlock(data_dir: Path) -> None:
    assert _admin("create", "--username", "root")[0] == 0
    old = _row(data_dir, "root")
    assert old is not None
    code, out = _admin("reset-password", "root")
    assert code == 0, out
    m = PRINTED.search(out)
    assert m is not None
    new = _row(data_dir, "root")
    assert new is not None and new["password_hash"] != old["password_hash"]
    assert PasswordHasher().verify(new["password_hash"], m[2])
    with sqlite3.connect(data_dir / "kfleet.db") as db:
        db.execute(
            "update users set failed_logins = 5, locked_until = '2999-01-01 00:00:00.000000'"
        )
    code, out = _admin("unlock", "root")
    assert code == 0 and "unlocked" in out
    row = _row(data_dir, "root")
    assert row is not None and row["locked_until"] is None and row["failed_logins"] == 0
    assert [t for _, t in _audit(data_dir, "user.unlock")] == ["user:root"]
    code, out = _admin("unlock", "nobody")
    assert code == 3 and "not found" in out
