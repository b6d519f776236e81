from __future__ import annotations

import pytest

from orderwatch.security import (
    generate_password,
    hash_password,
    password_needs_rehash,
    verify_password,
)
from orderwatch.security.passwords import MIN_PASSWORD_LENGTH


def test_hash_is_argon2id_and_verifies_only_the_right_password() -> None:
    stored = hash_password("a perfectly fine passphrase")
    assert stored.startswith("$argon2id$")
    assert "perfectly" not in stored
    assert verify_password(stored, "a perfectly fine passphrase")
    assert not verify_password(stored, "a perfectly fine passphrasE")
    assert not password_needs_rehash(stored)


def test_same_password_hashes_differently() -> None:
    assert hash_password("same password 123") != hash_password("same password 123")


def test_malformed_hash_never_matches() -> None:
    assert not verify_password("not-a-hash", "anything at all")
    assert password_needs_rehash("not-a-hash")


def test_short_password_is_refused() -> None:
    with pytest.raises(ValueError, match=f"at least {MIN_PASSWORD_LENGTH}"):
        hash_password("short")


def test_generated_passwords_are_long_random_and_unambiguous() -> None:
    passwords = {generate_password() for _ in range(50)}
    assert len(passwords) == 50
    assert all(len(p) == 20 for p in passwords)
    joined = "".join(passwords)
    assert not set(joined) & set("0O1lI")
    assert len(generate_password(32)) == 32
    with pytest.raises(ValueError):
        generate_password(6)
