"""Domain exceptions: each carries a message a user can act on."""

from __future__ import annotations

from dataclasses import dataclass


class OrderwatchError(Exception):
    """Base of every error orderwatch raises on purpose; the CLI prints it as one line."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where (line 0 when unknown)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


class InvalidInputError(OrderwatchError):
    """An input (file, form, upload) is invalid; lists every problem found, with its place."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        listed = "; ".join(str(p) for p in problems)
        super().__init__(f"{source}: {listed}")


class NotFoundError(OrderwatchError):
    """The thing asked for does not exist, or is outside the caller's reach."""


class PermissionDeniedError(OrderwatchError):
    """The caller may not do this."""
