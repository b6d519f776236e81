"""The parser registry (plaso style): plugins register on their module's last line by NAME."""

from __future__ import annotations

import re

from orderwatch.forensics.parsers.interface import (
    Artefact,
    ArtefactParser,
    ParserMediator,
)


class ParserRegistrationError(ValueError):
    """A parser has no NAME, or a NAME already taken."""


class ParserRegistry:
    """Holds one instance of each registered parser class."""

    def __init__(self) -> None:
        self._parsers: dict[str, ArtefactParser] = {}
        # Parsers that keep the default matches() are found by file name (one dict lookup per
        # file); the others are asked in turn. parsers_for() runs for every file of a triage.
        self._by_file_name: dict[str, list[ArtefactParser]] = {}
        self._custom: list[ArtefactParser] = []
        # Those of _custom that name their base names: asked only when one pattern (all of
        # theirs) fullmatches a file's base name; the others are asked about every file.
        self._unnamed: list[ArtefactParser] = []
        self._names: re.Pattern[str] | None = None

    def register(self, parser_class: type[ArtefactParser]) -> type[ArtefactParser]:
        name = parser_class.NAME
        if not name:
            raise ParserRegistrationError(f"{parser_class.__name__} has no NAME")
        if name in self._parsers:
            raise ParserRegistrationError(f"a parser named {name!r} is already registered")
        parser = parser_class()
        self._parsers[name] = parser
        self._index(parser)
        return parser_class

    def deregister(self, name: str) -> None:
        parser = self._parsers.pop(name)
        self._custom = [p for p in self._custom if p is not parser]
        self._split_custom()
        for listed in self._by_file_name.values():
            if parser in listed:
                listed.remove(parser)

    def _index(self, parser: ArtefactParser) -> None:
        if type(parser).matches is ArtefactParser.matches:
            for file_name in parser.FILE_NAMES:
                self._by_file_name.setdefault(file_name.lower(), []).append(parser)
        else:
            self._custom.append(parser)
            self._split_custom()

    def _split_custom(self) -> None:
        self._unnamed = [p for p in self._custom if p.base_names() is None]
        patterns = [f"(?:{p.base_names()})" for p in self._custom if p.base_names() is not None]
        self._names = re.compile("|".join(patterns), re.IGNORECASE) if patterns else None

    def names(self) -> list[str]:
        return sorted(self._parsers)

    def get(self, name: str) -> ArtefactParser:
        return self._parsers[name]

    def parsers_for(self, path: str) -> list[ArtefactParser]:
        """Every parser that wants the file at `path`."""
        name = path[path.rfind("/") + 1 :]  # file_name_key's component, before lower-casing
        listed = self._by_file_name.get(name.lower())
        found = list(listed) if listed else []
        names = self._names
        if names is not None and names.fullmatch(name[name.rfind("\\") + 1 :]):
            found.extend(p for p in self._custom if p.matches(path))
        else:
            for parser in self._unnamed:
                if parser.matches(path):
                    found.append(parser)
        return found

    def claimed(self, paths: list[str]) -> list[bool]:
        """Whether any parser wants each file: `bool(parsers_for(path))` for a run of paths at
        once (a triage's walk asks it of every file; the parsers asked about every file answer
        the whole run in one call, `matches_many`)."""
        by_file_name, names, custom = self._by_file_name, self._names, self._custom
        found = [False] * len(paths)
        rest: list[int] = []  # the files only the parsers asked about every file may want
        for index, path in enumerate(paths):
            name = path[path.rfind("/") + 1 :]
            if by_file_name.get(name.lower()):
                found[index] = True
            elif names is not None and names.fullmatch(name[name.rfind("\\") + 1 :]):
                found[index] = any(parser.matches(path) for parser in custom)
            else:
                rest.append(index)
        for parser in self._unnamed:
            if not rest:
                break
            wanted = parser.matches_many([paths[index] for index in rest])
            for index, yes in zip(rest, wanted, strict=True):
                found[index] = yes
            rest = [index for index, yes in zip(rest, wanted, strict=True) if not yes]
        return found

    def parse(self, artefact: Artefact, mediator: ParserMediator) -> int:
        """Run every matching parser on one artefact; a failing parser becomes an error record.

        Returns how many parsers ran.
        """
        ran = 0
        for parser in self.parsers_for(artefact.path):
            ran += 1
            try:
                parser.parse(artefact, mediator)
            except Exception as error:  # one bad artefact must not stop the run
                mediator.error(artefact.path, parser.NAME, f"{type(error).__name__}: {error}")
        return ran


registry = ParserRegistry()
