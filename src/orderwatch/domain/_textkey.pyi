"""Keyword matching's per-character work in C (_textkey.c); textmatch_native drives it."""

from collections.abc import Callable
from typing import Any

def configure(
    fast: bytes,
    full: bytes,
    leet: bytes,
    flags: bytes,
    learn: Callable[[int], bytes],
    simd: bool = True,
) -> None: ...
def full_key(data: bytes) -> tuple[bytes, list[int]]: ...
def fast_key(text: str) -> tuple[bytes, bytes, list[int] | None]: ...
def joined_key(text: str) -> tuple[bytes, list[int]]: ...

class Job:
    """One find(): a read-only buffer (the fast key, then the windows' full key, each without its
    spaces and repeated bytes) and the scan's match callback."""

    @property
    def raw(self) -> bytes: ...
    @property
    def mapped(self) -> bool: ...
    def __call__(
        self, id: int, start: int, end: int, flags: int = 0, context: Any = None
    ) -> None: ...
    def __buffer__(self, flags: int) -> memoryview: ...
    def windows(self) -> bool: ...
    def hits(self) -> list[list[Any]]: ...

class Finder:
    def __init__(
        self,
        patterns: list[bytes],
        groups: list[tuple[int, ...]],
        fast: list[tuple[int, ...]],
        full: list[tuple[int, ...]],
        terms: list[str],
        labels: list[str | None],
        hit_type: type,
        margin: int,
    ) -> None: ...
    def start(
        self, text: str, starts: list[int] | None = None, ends: list[int] | None = None
    ) -> Job: ...
