"""MD5 of many streams at once in SIMD lanes (the C module _md5lanes.c)."""

from collections.abc import Sequence
from typing import Literal

from typing_extensions import Buffer

class MD5:
    """An MD5 context like hashlib.md5's; update_many() advances many at once."""

    name: str
    digest_size: int
    block_size: int
    def __init__(self, data: Buffer = b"") -> None: ...
    def update(self, data: Buffer) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...
    def copy(self) -> MD5: ...

def update_many(contexts: Sequence[MD5], chunks: Sequence[Buffer]) -> None:
    """contexts[i].update(chunks[i]) for every i, computed in lanes with the GIL released.

    ValueError: the sequences' lengths differ, or a context appears twice (both indexes named).
    TypeError: contexts[i] is not an MD5, or chunks[i] is not a bytes-like object.
    BufferError: chunks[i] is not contiguous (as hashlib's update raises).
    """

def md5_many(buffers: Sequence[Buffer]) -> list[bytes]:
    """The MD5 digests of whole buffers, computed in lanes (errors as update_many's)."""

def implementation() -> Literal["avx2", "scalar"]:
    """What update_many and md5_many use on this CPU now."""

def _force_scalar(on: bool) -> None:
    """Tests only: run the lanes with the scalar block function."""
