"""Reading a text log line by line whatever its encoding: UTF-8, ANSI, UTF-16 with a BOM, gzip.

Lines that are not UTF-8 are read as Latin-1 (nothing is lost) and counted, so that a parser can
report the file once instead of failing on it.
"""

from __future__ import annotations

import codecs
import gzip
import io
from collections.abc import Iterator
from typing import Any

from orderwatch.forensics.parsers.interface import Artefact

MAX_LINE_BYTES = 64 * 1024  # a longer "line" (binary junk) is cut into pieces of this size


class LogLines:
    """`(line number, text)` pairs of an artefact; afterwards `problem()` says what was odd."""

    def __init__(self, artefact: Artefact) -> None:
        self.artefact = artefact
        self.non_utf8_lines = 0
        self.first_non_utf8: int | None = None

    def __iter__(self) -> Iterator[tuple[int, str]]:
        with self.artefact.open() as raw:
            made: list[Any] = []  # wrappers made here and closed here; `with` closes `raw`
            stream: Any = raw
            if not isinstance(raw, io.BufferedReader):
                stream = io.BufferedReader(raw)
                made.append(stream)
            if stream.peek(2)[:2] == b"\x1f\x8b":
                unzipped = gzip.GzipFile(fileobj=stream, mode="rb")
                stream = io.BufferedReader(unzipped)
                made += [unzipped, stream]
            try:
                yield from self._lines(stream)
            finally:
                for wrapper in reversed(made):
                    wrapper.close()

    def _lines(self, stream: io.BufferedReader) -> Iterator[tuple[int, str]]:
        head = stream.peek(4)[:4]
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            reader = codecs.getreader("utf-16")(stream, "replace")
            for number, line in enumerate(reader, start=1):
                yield number, line.rstrip("\r\n")
            return
        number = 0
        while True:
            chunk = stream.readline(MAX_LINE_BYTES)
            if not chunk:
                return
            number += 1
            if number == 1 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[len(codecs.BOM_UTF8) :]
            try:
                line = chunk.decode("utf-8")
            except UnicodeDecodeError:
                line = chunk.decode("latin-1")
                self.non_utf8_lines += 1
                if self.first_non_utf8 is None:
                    self.first_non_utf8 = number
            yield number, line.rstrip("\r\n")

    def problem(self) -> str | None:
        """One sentence about undecodable lines, or None when every line was UTF-8."""
        if not self.non_utf8_lines:
            return None
        return (
            f"{self.non_utf8_lines} line(s) were not UTF-8 and were read as Latin-1 "
            f"(first at line {self.first_non_utf8})"
        )
