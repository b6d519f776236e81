"""Enrolment codes (typed by a person, so short and forgiving) and device credentials.

Only SHA-256 digests are stored: both carry at least 100 random bits, so a slow hash would add
nothing but cost on every batch.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from orderwatch.security.tokens import new_token, token_digest

CODE_VALID_FOR = timedelta(hours=24)
# Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_GROUPS, _GROUP_LENGTH = 4, 5  # 20 characters, 100 bits


def new_enrolment_code() -> str:
    """A one-time code like 7KQ2M-XW9DA-04TRE-HN8VC."""
    groups = (
        "".join(secrets.choice(_ALPHABET) for _ in range(_GROUP_LENGTH)) for _ in range(_GROUPS)
    )
    return "-".join(groups)


def normalise_code(code: str) -> str:
    """What is compared: upper case, no dashes or spaces, look-alike letters read as digits."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    return cleaned.translate(_LOOKALIKES)


def code_digest(code: str) -> str:
    return token_digest("enrolment:" + normalise_code(code))


def new_device_credential() -> str:
    """A bearer secret for one device (256 random bits)."""
    return "owd_" + new_token()


def credential_digest(credential: str) -> str:
    return token_digest(credential.strip())
