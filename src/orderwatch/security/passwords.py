"""Password hashing with argon2id (argon2-cffi defaults, RFC 9106 low-memory profile)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# Letters and digits without look-alikes (0/O, 1/l/I), so a printed password can be retyped.
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash (with its own salt and parameters) to store instead of the password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash; a malformed hash never matches."""
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash at next login)."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def generate_password(length: int = 20) -> str:
    """A random password easy to read aloud and retype (about 5.8 bits per character)."""
    if length < MIN_PASSWORD_LENGTH:
        raise ValueError(f"a generated password needs at least {MIN_PASSWORD_LENGTH} characters")
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


# A hash of a random password, verified against when the user name is unknown, so that a failed
# login takes as long whether or not the account exists.
_DUMMY_HASH: str | None = None


def burn_verification_time(password: str) -> None:
    """Spend the time a real verification would take (unknown user names)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher.hash(generate_password())
    verify_password(_DUMMY_HASH, password)
