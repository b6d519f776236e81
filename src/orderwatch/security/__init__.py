"""Credentials: argon2 password hashing, generated passwords, session tokens, login throttling."""

from orderwatch.security.passwords import (
    generate_password,
    hash_password,
    password_needs_rehash,
    verify_password,
)
from orderwatch.security.throttling import LoginState, ThrottlePolicy
from orderwatch.security.tokens import new_token, token_digest

__all__ = [
    "LoginState",
    "ThrottlePolicy",
    "generate_password",
    "hash_password",
    "new_token",
    "password_needs_rehash",
    "token_digest",
    "verify_password",
]
