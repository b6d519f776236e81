"""Random tokens (web sessions, CSRF) and the digest stored in their place."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    """A URL-safe random token carrying 256 bits."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 hex digest stored instead of a session token, so a database leak opens none."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
