"""The parser registry (plaso style): plugins register on their module's last line by NAME."""

from __future__ import annotations

from orderwatch.forensics.parsers.interface import Artefact, ArtefactParser, ParserMediator


class ParserRegistrationError(ValueError):
    """A parser has no NAME, or a NAME already taken."""


class ParserRegistry:
    """Holds one instance of each registered parser class."""

    def __init__(self) -> None:
        self._parsers: dict[str, ArtefactParser] = {}

    def register(self, parser_class: type[ArtefactParser]) -> type[ArtefactParser]:
        name = parser_class.NAME
        if not name:
            raise ParserRegistrationError(f"{parser_class.__name__} has no NAME")
        if name in self._parsers:
            raise ParserRegistrationError(f"a parser named {name!r} is already registered")
        self._parsers[name] = parser_class()
        return parser_class

    def deregister(self, name: str) -> None:
        del self._parsers[name]

    def names(self) -> list[str]:
        return sorted(self._parsers)

    def get(self, name: str) -> ArtefactParser:
        return self._parsers[name]

    def parsers_for(self, path: str) -> list[ArtefactParser]:
        """Every parser that wants the file at `path`."""
        return [p for p in self._parsers.values() if p.matches(path)]

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
