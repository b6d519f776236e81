"""SHA-1 and SHA-256 of many streams, interleaved with SHA-NI (the C module _shalanes.c)."""

from collections.abc import Sequence
from typing import Literal

from typing_extensions import Buffer

class SHA1:
    """A SHA-1 context like hashlib.sha1's; update_many() advances many with their SHA-256."""

    name: str
    digest_size: int
    block_size: int
    def __init__(self, data: Buffer = b"") -> None: ...
    def update(self, data: Buffer) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> SHA1: ...

class SHA256:
    """A SHA-256 context like hashlib.sha256's; update_many() advances many with their SHA-1."""

    name: str
    digest_size: int
    block_size: int
    def __init__(self, data: Buffer = b"") -> None: ...
    def update(self, data: Buffer) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> SHA256: ...

def update_many(
    sha1_contexts: Sequence[SHA1], sha256_contexts: Sequence[SHA256], chunks: Sequence[Buffer]
) -> None:
    """sha1_contexts[i].update(chunks[i]) and sha256_contexts[i].update(chunks[i]) for every i.

    Each stream's two digests run interleaved, two streams abreast, with the GIL released.
    ValueError: the sequences' lengths differ, or a context appears twice (both indexes named).
    TypeError: a context of the wrong type, or chunks[i] is not a bytes-like object.
    BufferError: chunks[i] is not contiguous (as hashlib's update raises).
    """

def implementation() -> Literal["sha-ni", "portable"]:
    """The block functions used on this CPU now ('portable' is slower than hashlib's)."""

def _force_portable(on: bool) -> None:
    """Tests only: use the portable block functions."""
