"""Multi-literal scanners for keyword matching: hyperscan when it loads, else pyahocorasick.

Both report (pattern index, end offset) for every occurrence of every literal, overlapping ones
included; word boundaries are checked by the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Engine", "import_hyperscan", "load_engine"]


class Engine:
    """A compiled set of byte literals."""

    name = ""

    def scan(self, data: bytes | bytearray) -> list[tuple[int, int]]:
        """(pattern index, end offset) for every occurrence, boundaries not yet checked."""
        raise NotImplementedError

    def scan_into(self, data: Any, on_match: Callable[..., Any]) -> None:
        """Call on_match(index, 0, end, 0, None) for every occurrence in data (a buffer)."""
        raise NotImplementedError


def _collect(index: int, _start: int, end: int, _flags: int, found: list[tuple[int, int]]) -> None:
    found.append((index, end))


class _HyperscanEngine(Engine):
    name = "hyperscan"

    def __init__(self, patterns: list[bytes], hyperscan: Any) -> None:
        self._database = hyperscan.Database()
        self._database.compile(
            expressions=patterns,
            ids=list(range(len(patterns))),
            elements=len(patterns),
            flags=0,
            literal=True,
        )
        self._prototype = hyperscan.Scratch(self._database)
        self._local = threading.local()  # a scratch space is not shareable between threads

    def scan(self, data: bytes | bytearray) -> list[tuple[int, int]]:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        found: list[tuple[int, int]] = []
        self._database.scan(data, match_event_handler=_collect, context=found, scratch=scratch)
        return found

    def scan_into(self, data: Any, on_match: Callable[..., Any]) -> None:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._prototype.clone()
        self._database.scan(data, match_event_handler=on_match, scratch=scratch)


class _AhoCorasickEngine(Engine):
    name = "pyahocorasick"

    def __init__(self, patterns: list[bytes]) -> None:
        import ahocorasick

        self._automaton = ahocorasick.Automaton()
        for index, pattern in enumerate(patterns):
            self._automaton.add_word(pattern.decode("latin-1"), index)
        self._automaton.make_automaton()

    def scan(self, data: bytes | bytearray) -> list[tuple[int, int]]:
        return [(index, last + 1) for last, index in self._automaton.iter(data.decode("latin-1"))]

    def scan_into(self, data: Any, on_match: Callable[..., Any]) -> None:
        for last, index in self._automaton.iter(bytes(data).decode("latin-1")):
            on_match(index, 0, last + 1, 0, None)


class _NoEngine(Engine):
    """Nothing to find (every term normalised away); named after the scanner it stands in for."""

    def __init__(self, name: str) -> None:
        self.name = name

    def scan(self, data: bytes | bytearray) -> list[tuple[int, int]]:
        return []

    def scan_into(self, data: Any, on_match: Callable[..., Any]) -> None:
        return None


def load_engine(patterns: list[bytes], hyperscan: Any) -> Engine:
    """A scanner for the literals: hyperscan (the module passed) when given and working."""
    if not patterns:
        return _NoEngine(_HyperscanEngine.name if hyperscan is not None else "pyahocorasick")
    if hyperscan is not None:
        try:
            return _HyperscanEngine(patterns, hyperscan)
        except Exception:  # an unsupported CPU or library: the portable scanner does the same job
            pass
    return _AhoCorasickEngine(patterns)


def import_hyperscan() -> Any:
    """The hyperscan module, or None when it is not installed or its library does not load."""
    try:
        import hyperscan
    except Exception:
        return None
    return hyperscan
