"""The password policy: at least 10 characters, not the username, a message that says so."""

from __future__ import annotations

import pytest

from cloud.people.errors import PasswordRejected
from cloud.people.passwords import MIN_LENGTH, check_policy


def test_short_password_is_refused_with_its_length() -> None:
    with pytest.raises(PasswordRejected) as err:
        check_policy("frank", "short-pw9")
    assert err.value.code == "weak_password"
    assert f"has 9 characters; it needs at least {MIN_LENGTH}" in str(err.value)


def test_ten_characters_are_enough() -> None:
    check_policy("frank", "0123456789")


def test_the_username_is_refused_whatever_its_case() -> None:
    with pytest.raises(PasswordRejected, match="must not be the username"):
        check_policy("frankenstein", "FrankenStein")


def test_a_huge_password_is_refused() -> None:
    with pytest.raises(PasswordRejected, match="longer than 1024"):
        check_policy("frank", "x" * 1025)
